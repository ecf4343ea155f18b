/**
 * Issue 10 item 4: the documented production install works. scripts/install.sh (docs/install-freeswitch.md step 5)
 * installs into a scratch root (--destdir; the current user stands in for the koplus user and group, node_modules
 * linked instead of `npm ci --omit=dev`), then — as an operator would — the config gets the switch's address and
 * password, the daemon is started as the unit starts it (/usr/bin/koplus daemon --config …/etc/koplus/koplus.json,
 * working directory /var/lib/koplus), and `koplus status`, `koplus queue add` and `koplus doctor` run from another
 * directory, finding the config (KOPLUS_CONFIG, standing in for /etc/koplus/koplus.json) and the daemon's token.
 */
import t from 'tap'
import { execFile, execFileSync, spawn } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { clockEnv } from '../helpers/faketime.js'

const REPO = resolve(import.meta.dirname, '..', '..')
const built = existsSync(join(REPO, 'dist/src/cli/main.js'))
t.setTimeout(120_000)

async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

t.test(
  'install into a scratch root, then status, queue add and doctor against the simulator',
  { skip: !built && !process.env.CI && 'no build (npm run build)' },
  async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'koplus-root-'))
    const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim()
    const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim()
    const out = execFileSync(
      'sh',
      [
        join(REPO, 'scripts/install.sh'),
        '--destdir',
        root,
        '--user',
        user,
        '--group',
        group,
        '--link-node-modules',
        join(REPO, 'node_modules'),
      ],
      { encoding: 'utf8' },
    )
    t.match(out, /installed .*etc\/koplus\/koplus\.json/)

    // what the unit and the docs rely on
    const bin = join(root, 'usr/bin/koplus')
    t.ok(lstatSync(bin).isSymbolicLink(), '/usr/bin/koplus is a symlink')
    t.equal(readlinkSync(bin), '../lib/koplus/bin/koplus.js')
    t.equal(realpathSync(bin), join(realpathSync(root), 'usr/lib/koplus/bin/koplus.js'))
    const unit = readFileSync(join(root, 'etc/systemd/system/koplus.service'), 'utf8')
    t.match(unit, /^ExecStart=\/usr\/bin\/koplus daemon --config \/etc\/koplus\/koplus\.json$/m)
    const doc = /^Documentation=file:\/\/(\S+)$/m.exec(unit)?.[1]
    t.ok(doc && existsSync(join(root, doc)), `the unit's Documentation= (${doc}) is installed`)
    t.notMatch(unit, /KOPLUS_FS_PASSWORD/)
    t.equal(statSync(join(root, 'etc/koplus/koplus.json')).mode & 0o777, 0o640)
    t.equal(statSync(join(root, 'var/lib/koplus')).mode & 0o777, 0o750)
    for (const f of ['schema.sql', 'sounds/sv', 'web/static', 'dist/web', 'package.json'])
      t.ok(existsSync(join(root, 'usr/lib/koplus', f)), `${f} installed`)

    // a second run keeps the operator's config
    const cfgPath = join(root, 'etc/koplus/koplus.json')
    const sim = new FreeSwitchSimulator({
      password: 'not-ClueCon-1',
      dialplan: { vanilla: 'jump', globals: { default_password: 'changed' } },
    })
    const fsPort = await sim.listen(0)
    t.teardown(() => sim.close())
    const apiPort = await freePort()
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, Record<string, unknown>>
    t.equal(cfg.database.path, '/var/lib/koplus/koplus.sqlite', 'the shipped config has absolute paths')
    // the operator's edits: the switch's password; here also the scratch root's paths and free ports
    cfg.database.path = join(root, 'var/lib/koplus/koplus.sqlite')
    cfg.recordings.dir = join(root, 'var/lib/koplus/recordings')
    cfg.freeswitch = { host: '127.0.0.1', port: fsPort, password: 'not-ClueCon-1' }
    cfg.api = { host: '127.0.0.1', port: apiPort }
    writeFileSync(cfgPath, JSON.stringify(cfg, null, 2))
    t.match(
      execFileSync(
        'sh',
        [
          join(REPO, 'scripts/install.sh'),
          '--destdir',
          root,
          '--user',
          user,
          '--group',
          group,
          '--link-node-modules',
          join(REPO, 'node_modules'),
        ],
        { encoding: 'utf8' },
      ),
      /kept .*koplus\.json/,
    )
    t.equal(JSON.parse(readFileSync(cfgPath, 'utf8')).freeswitch.port, fsPort, 'config kept on re-install')

    // the daemon, as the unit runs it
    const daemon = spawn(bin, ['daemon', '--config', cfgPath], {
      cwd: join(root, 'var/lib/koplus'),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...clockEnv() },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<void>((r) => daemon.once('exit', () => r()))
    t.teardown(async () => {
      daemon.kill('SIGTERM')
      await exited
    })
    let log = ''
    await new Promise<void>((resolveReady, reject) => {
      daemon.stdout.setEncoding('utf8').on('data', (c: string) => {
        log += c
        if (log.includes('CLI token written')) resolveReady()
      })
      daemon.stderr.setEncoding('utf8').on('data', (c: string) => (log += c))
      daemon.once('exit', (code) => reject(new Error(`daemon exited (${code}): ${log}`)))
    })
    const token = join(root, 'var/lib/koplus/cli-token')
    t.equal(statSync(token).mode & 0o777, 0o640, 'the token is readable by the group')

    // the CLI, from elsewhere, finds the config and the token
    const home = mkdtempSync(join(tmpdir(), 'koplus-operator-'))
    const koplus = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((r) =>
        execFile(
          bin,
          args,
          {
            cwd: home,
            env: { PATH: process.env.PATH ?? '', HOME: home, KOPLUS_CONFIG: cfgPath, ...clockEnv() },
            timeout: 60_000,
          },
          (err, stdout, stderr) => r({ code: err ? Number((err as { code?: unknown }).code) || 1 : 0, stdout, stderr }),
        ),
      )
    const status = await koplus('status')
    t.equal(status.code, 0, status.stderr)
    const add = await koplus('queue', 'add', '5000', 'Support')
    t.equal(add.code, 0, add.stderr)
    t.match(add.stderr, /warning: 5000 is also the stock extension 'ivr_demo'/)
    // the daemon tests a new number through the switch's dialplan at once (not a koplus number in the simulator)
    const other = await koplus('queue', 'add', '7777', 'Elsewhere')
    t.equal(other.code, 0, other.stderr)
    t.match(
      other.stderr,
      /warning: queue 7777 in context 'default': hung up \(\w+\) before reaching park: nothing in context 'default' sends 7777 to koplus/,
    )
    t.equal((await koplus('queue', 'remove', '7777')).code, 0)
    const doctor = await koplus('doctor', '--timeout', '3000')
    t.equal(doctor.code, 0, doctor.stdout + doctor.stderr)
    t.match(doctor.stdout, /^ok {4}connection .*authenticated/m)
    t.match(doctor.stdout, /^ok {4}queue 5000 \(default\) +reaches koplus/m)
    t.match(doctor.stdout, /^ok {4}queue 5000 \(public\) +reaches koplus/m)
    t.match(doctor.stdout, /^ok {4}feature \*71 \(default\) +reaches koplus/m)
    t.match(doctor.stdout, /^WARN {2}overlap 5000 /m)
    t.match(doctor.stdout, /^ok {4}sounds .*usr\/lib\/koplus\/sounds/m)
    t.match(doctor.stdout, /all \d+ checks passed \(1 warning\)$/m)
    t.notMatch(doctor.stdout + log, /not-ClueCon-1/, 'the ESL password is never printed')
  },
)
