/**
 * Issue 9 (hardening), start-up: `koplus daemon` (the built executable) fails at once with one clear line for an API
 * port in use (before anything is sent to FreeSWITCH), a database path under /proc or below a file; it creates its
 * database 0600 in a 0700 data directory; its log is JSON lines when stdout is not a terminal (log.format forces).
 * Needs `npm run build` (bin/koplus.js runs dist/).
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../helpers/daemon-process.js'
import { FakeEslServer } from '../fixtures/esl/fake-esl-server.js'

const BIN = join(ROOT, 'bin', 'koplus.js')
const built = existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))

const dir = mkdtempSync(join(tmpdir(), 'koplus-startup-'))
// A FreeSWITCH that accepts and never greets: before the fix, a daemon waited on it for the 5 s connect timeout.
const silentFs = await FakeEslServer.start()
silentFs.greet = false
t.teardown(async () => {
  await silentFs.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string[]
  stderr: string[]
  ms: number
}

/** Runs `koplus daemon --config <file>`; SIGTERM once a stdout line contains `until`. */
function runDaemon(
  name: string,
  cfg: Record<string, unknown>,
  opts: { env?: NodeJS.ProcessEnv; until?: string } = {},
): Promise<Run> {
  const path = join(dir, `${name}.json`)
  writeFileSync(
    path,
    JSON.stringify({
      freeswitch: { host: '127.0.0.1', port: silentFs.port },
      api: { host: '127.0.0.1', port: 0 },
      recordings: { dir: join(dir, 'rec') },
      ...cfg,
    }),
  )
  const started = performance.now()
  const env = { ...process.env, ...opts.env }
  for (const k of Object.keys(env)) if (k.startsWith('KOPLUS_') && !opts.env?.[k]) delete env[k]
  const child = spawn(process.execPath, [BIN, 'daemon', '--config', path], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: Run = { code: null, stdout: [], stderr: [], ms: 0 }
  let buf = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    buf += c
    let nl: number
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      out.stdout.push(line)
      if (opts.until && line.includes(opts.until)) child.kill('SIGTERM')
    }
  })
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000)
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(kill)
      out.code = code
      out.ms = performance.now() - started
      out.stderr = err.split('\n').filter((l) => l !== '')
      if (buf) out.stdout.push(buf)
      resolve(out)
    }),
  )
}

t.test(
  'an API port in use: exits at once with one line, and never connects to FreeSWITCH',
  { skip: !built && 'run `npm run build` first' },
  async (t) => {
    const blocker = net.createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    t.teardown(() => new Promise<void>((r) => blocker.close(() => r())))
    const port = (blocker.address() as AddressInfo).port
    const r = await runDaemon('port', {
      database: { path: join(dir, 'port', 'koplus.sqlite') },
      api: { host: '127.0.0.1', port },
    })
    t.equal(r.code, 1, 'exit code 1')
    t.same(
      r.stderr,
      [
        `error: api.port: 127.0.0.1:${port} is already in use (another koplus daemon, or another program listening there?)`,
      ],
      'one clear line',
    )
    // Before the fix the daemon connected first and exited only once the silent FreeSWITCH's 5 s connect timeout
    // ran out; no wall-clock bound here (a loaded machine starts node slowly): no connection at all is the proof.
    t.equal(
      silentFs.connections.length,
      0,
      `no ESL connection was made: the port is bound before FreeSWITCH is contacted (exited after ${Math.round(r.ms)} ms)`,
    )
  },
)

t.test(
  'a database path under /proc: one line at once, no hang',
  { skip: (!built && 'run `npm run build` first') || (!existsSync('/proc/self') && 'no /proc') },
  async (t) => {
    const r = await runDaemon('proc', { database: { path: '/proc/koplus/koplus.sqlite' } })
    t.equal(r.code, 1)
    t.equal(r.stderr.length, 1, 'one line')
    t.match(r.stderr[0], /^error: database\.path: cannot create the directory \/proc\/koplus: .*\(ENOENT\)$/)
    t.equal(silentFs.connections.length, 0, 'nothing sent to FreeSWITCH')
  },
)

t.test(
  'a database path below a file: one line naming the file, not "EEXIST … mkdir"',
  { skip: !built && 'run `npm run build` first' },
  async (t) => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    const r = await runDaemon('parent', { database: { path: join(file, 'koplus.sqlite') } })
    t.equal(r.code, 1)
    t.same(r.stderr, [`error: database.path: ${file} is a file, not a directory`])
  },
)

t.test(
  'a running daemon: database 0600 in a 0700 data directory; JSON log lines on a pipe, pretty when log.format says so',
  { skip: !built && 'run `npm run build` first' },
  async (t) => {
    const data = join(dir, 'fresh', 'data')
    const r = await runDaemon(
      'json',
      { database: { path: join(data, 'koplus.sqlite') } },
      { until: 'CLI token written' },
    )
    t.equal(r.code, 0, 'stopped by SIGTERM')
    t.equal((statSync(data).mode & 0o777).toString(8), '700', 'data directory 0700')
    t.equal((statSync(join(data, 'koplus.sqlite')).mode & 0o777).toString(8), '600', 'database 0600')
    t.ok(r.stdout.length >= 3, `several log lines (${r.stdout.length})`)
    const parsed = r.stdout.map((l) => {
      try {
        return JSON.parse(l) as { level?: number; msg?: string }
      } catch {
        return undefined
      }
    })
    t.same(
      parsed.filter((p) => p === undefined || typeof p.level !== 'number' || typeof p.msg !== 'string'),
      [],
      'every stdout line is a pino JSON object',
    )
    t.equal(parsed[0]?.msg, 'koplus daemon starting')

    // log.format forces pino-pretty on a pipe too (and KOPLUS_LOG_FORMAT=json would force JSON on a terminal).
    const p = await runDaemon(
      'pretty',
      { database: { path: join(dir, 'pretty', 'koplus.sqlite') } },
      { env: { KOPLUS_LOG_FORMAT: 'pretty' }, until: 'CLI token written' },
    )
    t.equal(p.code, 0)
    const starting = p.stdout.find((l) => l.includes('koplus daemon starting'))
    t.ok(starting, 'the first line is there')
    t.match(starting, /INFO.*koplus daemon starting/, 'pino-pretty: level name and message')
    t.throws(() => JSON.parse(starting!), 'not JSON')
  },
)
