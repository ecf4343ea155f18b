/**
 * An operator's first hour (issue 10): `koplus daemon --simulate` (in-process, no traffic) keeps its demo in a
 * database file of its own and says so; the CLI and `koplus doctor` reach it with no --api/--token/port flags
 * (through <data dir>/daemon.json and cli-token); `koplus status` shows closed queues (why, until when) and the
 * FreeSWITCH link, exiting 3 when the daemon has no FreeSWITCH; `koplus tenant …` manages tenants.
 * The CLI is spawned from the build (npm run build); KOPLUS_BIN overrides the executable.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { runDaemonCommand, type RunningDaemon } from '../../src/daemon/index.js'
import { startDaemonApi } from '../../src/api/daemon-api.js'
import { Store } from '../../src/store/index.js'
import { clockEnv } from '../helpers/faketime.js'

t.setTimeout(240_000)
const BIN = process.env.KOPLUS_BIN ?? resolve('bin/koplus.js')
const built = existsSync(resolve(BIN, '../../dist/src/cli/main.js'))

interface Run {
  code: number
  stdout: string
  stderr: string
}

const dir = mkdtempSync(join(tmpdir(), 'koplus-operator-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
/** The operator's environment: only where the data lives (as a config would say); no API address, token or port. */
const env = { KOPLUS_DATABASE_PATH: join(dir, 'koplus.sqlite'), KOPLUS_API_PORT: '0', KOPLUS_LOG_LEVEL: 'info' }

function koplus(args: string[], stdin?: string): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, TZ: 'UTC', ...clockEnv(), ...env }, cwd: dir, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0
        done({ code, stdout, stderr })
      },
    )
    child.stdin!.end(stdin ?? '')
  })
}

async function start(
  fresh = false,
): Promise<{ running: RunningDaemon; logs: { msg: string; [k: string]: unknown }[] }> {
  const logs: { msg: string; [k: string]: unknown }[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logs.push(JSON.parse(line))
      cb()
    },
  })
  const running = await runDaemonCommand({
    simulate: true,
    fresh,
    simulation: { traffic: false },
    env,
    handleSignals: false,
    logger: pino({ level: 'info' }, sink),
    startApi: (d, c, l) => startDaemonApi(d, c, l),
  })
  return { running, logs }
}

t.test(
  'simulate, status, doctor and tenants with no extra flags',
  { skip: !built && `no build at ${BIN} (run npm run build first)` },
  async (t) => {
    let { running, logs } = await start()
    t.teardown(() => running.stop())

    await t.test('the demo lives in data/simulate.sqlite and the log says so', async (t) => {
      t.ok(existsSync(join(dir, 'simulate.sqlite')), 'the demo database file exists')
      t.notOk(existsSync(join(dir, 'koplus.sqlite')), 'the production database is not touched')
      const starting = logs.find((l) => /koplus daemon starting/.test(l.msg))!
      t.equal(
        (starting.config as { database: { path: string } }).database.path,
        join(dir, 'simulate.sqlite'),
        'the logged config names the file really used',
      )
      t.match(
        starting.config,
        { freeswitch: /built-in simulator/ },
        'nor does it claim the configured FreeSWITCH address',
      )
      t.ok(
        logs.some((l) => l.msg === `demo call centre created in ${join(dir, 'simulate.sqlite')}`),
        'created, with its path',
      )
      t.notOk(
        logs.some((l) => JSON.stringify(l).includes('ClueCon')),
        'the ESL password is never logged',
      )
      t.notOk(
        logs.some((l) => JSON.stringify(l).includes('koplus.sqlite')),
        'no log line claims koplus.sqlite',
      )
      const info = JSON.parse(readFileSync(join(dir, 'daemon.json'), 'utf8'))
      t.match(info, { pid: process.pid, api: running.api!.url, freeswitch: { host: '127.0.0.1', simulated: true } })
      t.ok(info.freeswitch.port > 0)
    })

    await t.test('status: connected, open queues; a closure shows why and until when', async (t) => {
      const s = await koplus(['status', '--json'])
      t.equal(s.code, 0, s.stderr)
      const j = JSON.parse(s.stdout)
      t.match(j.freeswitch, { connected: true, address: /^127\.0\.0\.1:\d+$/ })
      t.same(j.queues.map((q: { number: string; open: boolean }) => [q.number, q.open]).sort(), [
        ['5000', true],
        ['5001', true],
      ])

      const close = await koplus(['close', '5000', '--reason', 'Staff meeting', '--until', '+2h'])
      t.equal(close.code, 0, close.stderr)
      const now = running.daemon.clock.now()
      const closed = JSON.parse((await koplus(['status', '--json'])).stdout).queues.find(
        (q: { number: string }) => q.number === '5000',
      )
      t.match(closed, { open: false, closedReason: /Staff meeting/, closedBy: { kind: 'closure' } })
      t.ok(Math.abs(closed.closedUntil - (now + 2 * 3600_000)) < 60_000, 'until the end of the closure')

      const table = await koplus(['status'])
      t.equal(table.code, 0, table.stderr)
      t.match(table.stdout, /^FreeSWITCH: connected \(127\.0\.0\.1:\d+\)$/m)
      t.match(table.stdout, /^QUEUE\s+NAME\s+OPEN\s+WAITING/m)
      t.match(table.stdout, /^5000\s+Support\s+CLOSED\s.*Staff meeting.*until \d{4}-\d\d-\d\d \d\d:\d\d/m)
      t.match(table.stdout, /^5001\s+Sales\s+open\s/m)
    })

    await t.test('doctor finds the simulator with no flags', async (t) => {
      const d = await koplus(['doctor', '--timeout', '3000'])
      t.equal(d.code, 0, d.stdout + d.stderr)
      t.match(d.stderr, /built-in simulator .*127\.0\.0\.1:\d+/)
      t.match(d.stdout, /^ok\s+connection\s+connected to 127\.0\.0\.1:\d+/m)
    })

    await t.test('tenant add, list, show, set, remove; errors', async (t) => {
      const add = await koplus(['tenant', 'add', 'acme', 'Acme AB', '--domain', 'acme.example.com'])
      t.equal(add.code, 0, add.stderr)
      t.match(add.stdout, /tenant acme "Acme AB" added \(domain acme\.example\.com\)/)
      t.match((await koplus(['tenant', 'list'])).stdout, /^acme\s+Acme AB\s+acme\.example\.com/m)
      t.match(JSON.parse((await koplus(['tenant', 'show', 'acme', '--json'])).stdout), {
        id: 'acme',
        domain: 'acme.example.com',
      })
      const set = await koplus(['tenant', 'set', 'acme', 'name=Acme Sverige AB'])
      t.equal(set.code, 0, set.stderr)
      t.equal((await running.daemon.store.tenants.get('acme')).name, 'Acme Sverige AB')
      const badKey = await koplus(['tenant', 'set', 'acme', 'colour=red'])
      t.equal(badKey.code, 1)
      t.match(badKey.stderr, /unknown tenant field 'colour'/)
      const noDomain = await koplus(['tenant', 'add', 'beta', 'Beta'])
      t.equal(noDomain.code, 1)
      t.match(noDomain.stderr, /--domain/)
      const dup = await koplus(['tenant', 'add', 'acme', 'Again', '--domain', 'other.example.com'])
      t.equal(dup.code, 1)
      t.match(dup.stderr, /acme.*already exists/)

      // what the docs show once the tenant exists
      const q = await koplus(['--tenant', 'acme', 'queue', 'add', '6000', 'Acme support'])
      t.equal(q.code, 0, q.stderr)
      const acc = await koplus(
        ['--tenant', 'acme', 'account', 'add', 'boss', '--role', 'tenant-admin', '--password-stdin'],
        'a long enough password\n',
      )
      t.equal(acc.code, 0, acc.stderr)
      t.equal((await running.daemon.store.accounts.getByUsername('boss'))?.tenantId, 'acme')
      const all = await koplus(['close', '--all', '--tenant', 'acme', '--reason', 'Fire drill'])
      t.equal(all.code, 0, all.stderr)
      t.match(all.stdout, /1 queue closed/)

      const inUse = await koplus(['tenant', 'remove', 'acme'])
      t.equal(inUse.code, 1)
      t.match(inUse.stderr, /still has/)
      const other = await koplus(['tenant', 'add', 'beta', 'Beta AB', '--domain', 'beta.example.com'])
      t.equal(other.code, 0, other.stderr)
      const rm = await koplus(['tenant', 'remove', 'beta'])
      t.equal(rm.code, 0, rm.stderr)
      t.notOk(await running.daemon.store.tenants.find('beta'))
    })

    await t.test('status without FreeSWITCH: says so and exits 3', async (t) => {
      await running.simulator!.close()
      const deadline = Date.now() + 10_000
      while (running.daemon.freeswitch.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      t.notOk(running.daemon.freeswitch.connected, 'the daemon noticed')
      const s = await koplus(['status'])
      t.equal(s.code, 3, s.stderr)
      t.match(s.stdout, /^FreeSWITCH: NOT CONNECTED to 127\.0\.0\.1:\d+/m)
      t.match(s.stderr, /^error: the daemon is not connected to FreeSWITCH at 127\.0\.0\.1:\d+/m)
      const j = await koplus(['status', '--json'])
      t.equal(j.code, 3)
      t.equal(JSON.parse(j.stdout).freeswitch.connected, false)
    })

    await t.test('the demo survives a restart; --fresh starts over', async (t) => {
      t.equal((await koplus(['queue', 'set', '5000', 'name=Helpdesk'])).code, 0)
      await running.stop()
      t.notOk(existsSync(join(dir, 'daemon.json')), 'daemon.json removed at stop')
      const down = await koplus(['status'])
      t.equal(down.code, 2, 'no daemon: exit 2')
      // a call the last run left open (its simulated switch is gone): closed at the next start
      const db = await Store.open(join(dir, 'simulate.sqlite'))
      const q5000 = (await db.queues.list()).find((q) => q.number === '5000')!
      await db.calls.start({
        callId: 'left-open',
        tenantId: 'default',
        queueId: q5000.id,
        arrivedAt: Date.now() - 60_000,
        callerNumber: '0701234567',
      })
      const offer = await db.calls.addOffer({
        callId: 'left-open',
        agentId: (await db.agents.list())[0].id,
        offeredAt: Date.now() - 50_000,
      })
      await db.close()

      ;({ running, logs } = await start())
      t.ok(
        logs.some((l) => /^demo call centre kept from the last run in .*simulate\.sqlite/.test(l.msg)),
        'the log says the demo was kept',
      )
      const q = JSON.parse((await koplus(['queue', 'show', '5000', '--json'])).stdout)
      t.equal(q.name, 'Helpdesk', 'the change survived')
      t.ok(await running.daemon.store.tenants.find('acme'), 'and the tenant')
      t.match(
        await running.daemon.store.calls.get('left-open'),
        { outcome: 'failed', endedAt: Number },
        'the call left open is closed',
      )
      t.match(
        await running.daemon.store.calls.getOffer(offer.id),
        { result: 'cancelled', endedAt: Number },
        'and its offer',
      )
      t.same(await running.daemon.store.calls.inProgress(), [], 'nothing stays in progress')
      await running.stop()

      ;({ running, logs } = await start(true))
      t.ok(logs.some((l) => /^demo call centre created in /.test(l.msg)))
      t.equal(JSON.parse((await koplus(['queue', 'show', '5000', '--json'])).stdout).name, 'Support', 'fresh demo')
      t.notOk(await running.daemon.store.tenants.find('acme'))
    })

    await t.test('--fresh without --simulate is refused', async (t) => {
      const r = await koplus(['daemon', '--fresh'])
      t.equal(r.code, 1)
      t.match(r.stderr, /--fresh goes with --simulate/)
    })
  },
)
