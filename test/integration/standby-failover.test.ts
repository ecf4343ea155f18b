/**
 * Issue 12, item 2: two real daemon processes, one FreeSWITCH simulator, one private PostgreSQL 15 (the leader
 * lock, test/helpers/postgres.ts). Each daemon reaches the simulator through its own EslTap (which daemon sent which
 * command, and when) and PostgreSQL through its own TcpProxy (a partition cuts the PostgreSQL link, not the ESL).
 * The daemons' data is on that PostgreSQL too (database.url): seeded and read back there.
 *
 * - kill -9 of the leader while callers wait: the standby takes over, the callers keep their place and get an
 *   agent, none is offered twice, their records are closed; the standby sent no command before.
 * - partition between the leader and PostgreSQL: it fences itself and exits (3); the old leader's last command is
 *   before the new one's first.
 * - standby restart: the leader is untouched; the standby names the leader in its status and forwards a change to it.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import { Store } from '../../src/store/index.js'
import { ROOT } from '../helpers/daemon-process.js'
import { seedStore, until } from '../helpers/journey-fixture.js'
import { startPostgres } from '../helpers/postgres.js'
import { daemonPair, type PairNode } from '../helpers/daemon-pair.js'

const pg = await startPostgres(t)

if (pg) {
  const url = await pg.createDatabase('pair')
  // database.url holds all the daemons' data: the queue and the agent are seeded in PostgreSQL; the directory is
  // the data directory (config files, cli-token), database.path is not used.
  const db = await Store.open(url)
  await seedStore(db, [{ number: '5000' }], [{ extension: '1001', loggedIn: ['5000'] }])
  const dir = mkdtempSync(join(tmpdir(), 'koplus-pair-'))
  const seeded = { dir, dbPath: join(dir, 'koplus.sqlite') }
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  const fsPort = await sim.listen(0, '127.0.0.1')
  sim.endpoint('1001', { registered: false })
  const pair = daemonPair({ pgPort: pg.port, url, fsPort, dir: seeded.dir })
  const { start, leads } = pair
  t.teardown(async () => {
    await pair.stopAll()
    await db.close()
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })

  const apiOf = async (n: PairNode) =>
    String((await n.proc.waitForLog((l) => l.msg === 'control API listening', 10_000, 'API')).address)
  const offersTo = (call: SimCall) => sim.originates.filter((o) => o.arg.includes(`koplus_call=${call.uuid}`)).length

  async function waitingCallers(count: number, from: string): Promise<SimCall[]> {
    const calls: SimCall[] = []
    for (let i = 1; i <= count; i++) {
      const c = sim.placeCall({ to: '5000', from: `${from}${i}` })
      await sim.waitFor(() => !!c.variable('koplus_seq'), 5000, `caller ${i} in the queue`)
      calls.push(c)
    }
    return calls
  }

  /** Lets agent 1001 take the callers one at a time; returns the order they were connected in. */
  async function serve(calls: SimCall[]): Promise<string[]> {
    sim.endpoint('1001', { registered: true, answerAfterMs: 50, hangupAfterMs: 150 }) // one sofia::register
    const order: string[] = []
    for (const c of calls) {
      await c.waitForState('bridged', 10_000)
      order.push(c.uuid)
      await c.waitForState('hungup', 5000)
    }
    sim.endpoint('1001', { registered: false }) // its sofia::unregister
    return order
  }

  const a = await start('node-a')
  await leads(a)
  let b = await start('node-b')
  await b.proc.waitForLog((l) => l.msg === 'connected to FreeSWITCH' && l.role === 'standby', 1000, 'b standing by')

  await t.test(
    'kill -9 of the leader while 5 callers wait: the standby takes over, order kept, each offered once, records closed',
    async (t) => {
      const calls = await waitingCallers(5, '07010000')
      await until(
        async () =>
          (await Promise.all(calls.map((c) => db.calls.find(c.uuid)))).every((r) => r?.enteredQueueAt != null),
        3000,
        'queue entries written',
      )
      t.same(b.tap.commands(), [], 'the standby, connected and subscribed, sent FreeSWITCH no command')
      t.ok(
        b.tap.frames.some((f) => f.line.startsWith('event json')),
        'the standby subscribed to events',
      )
      a.proc.child.kill('SIGKILL')
      const killedAt = performance.now()
      await a.proc.exited
      await leads(b)
      t.comment(
        `the new leader rebuilt ${(performance.now() - killedAt).toFixed(0)} ms after kill -9 (bench/failover.bench.ts measures the first command)`,
      )
      t.same(
        calls.map((c) => c.state),
        calls.map(() => 'answered'),
        'every caller still waits',
      )
      const order = await serve(calls)
      t.ok(
        b.tap.commands().length > 0 && b.tap.commands().every((c) => c.at > killedAt),
        'the new leader commands FreeSWITCH, only after the old one died',
      )
      t.same(
        order,
        calls.map((c) => c.uuid),
        'connected in their original order',
      )
      t.same(
        calls.map(offersTo),
        calls.map(() => 1),
        'each caller offered once',
      )
      const recs = await until(
        async () => {
          const r = await Promise.all(calls.map((c) => db.calls.find(c.uuid)))
          return r.every((x) => x?.outcome) ? r : undefined
        },
        5000,
        'records closed',
      )
      t.same(
        recs.map((r) => r!.outcome),
        calls.map(() => 'answered'),
        'every record closed as answered',
      )
      t.same(
        b.proc.lines.filter((l) => l.level >= 50).map((l) => l.msg),
        [],
        'no error logged by the new leader',
      )
    },
  )

  await t.test(
    "partition between the leader and PostgreSQL: it fences itself and exits; no command from it after the new leader's first",
    async (t) => {
      const old = b
      const a2 = await start('node-a2')
      b = a2
      await a2.proc.waitForLog(
        (l) => l.msg === 'connected to FreeSWITCH' && l.role === 'standby',
        1000,
        'a2 standing by',
      )
      const calls = await waitingCallers(3, '07020000')
      old.pgLink.down() // the PostgreSQL link only; its ESL connection stays up
      const exit = await Promise.race([
        old.proc.exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(
                new Error(
                  `the fenced leader did not exit: ${old.proc.lines.length} lines; ${JSON.stringify(old.proc.lines.filter((l) => l.level >= 40 || /lead|fenc|stop/.test(l.msg)).slice(-12))}`,
                ),
              ),
            10_000,
          ),
        ),
      ])
      t.equal(exit.code, 3, 'the fenced leader exits with 3 (systemd restarts it as a standby)', {
        lastLines: old.proc.lines.slice(-8).map((l) => ({ msg: l.msg, ...(l.err ? { err: l.err } : {}) })),
        stderr: old.proc.raw.join('').slice(-2000),
      })
      t.ok(
        old.proc.lines.some((l) => /^leadership: fenced/.test(l.msg)),
        'and says why',
      )
      await leads(a2)
      const order = await serve(calls)
      t.same(
        order,
        calls.map((c) => c.uuid),
        'the callers waiting through the partition are served in order',
      )
      t.same(
        calls.map(offersTo),
        calls.map(() => 1),
        'each offered once',
      )
      const oldLast = old.tap.commands().at(-1)
      const newFirst = a2.tap.commands()[0]
      t.ok(newFirst, 'the new leader commands')
      t.ok(
        oldLast && oldLast.at < newFirst.at,
        "the old leader commanded before, and sent nothing after the new leader's first command",
      )
    },
  )

  await t.test(
    'standby restart: the leader goes on; a standby answers reads, names the leader and forwards changes to it',
    async (t) => {
      const leaderTakes = b.proc.lines.filter((l) => /^leadership: took/.test(l.msg)).length
      let s = await start('node-s')
      s.proc.child.kill('SIGKILL')
      await s.proc.exited
      s = await start('node-s2')
      await s.proc.waitForLog((l) => l.msg === 'connected to FreeSWITCH' && l.role === 'standby', 1000, 'standing by')
      const calls = await waitingCallers(2, '07030000')
      t.same(
        await serve(calls),
        calls.map((c) => c.uuid),
        'callers arriving meanwhile are served by the leader',
      )
      t.equal(
        b.proc.lines.filter((l) => /^leadership: took/.test(l.msg)).length,
        leaderTakes,
        'the leader never lost the lock',
      )
      t.same(s.tap.commands(), [], 'the restarted standby sent no command')
      const token = readFileSync(join(seeded.dir, 'cli-token'), 'utf8').trim()
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
      const standbyApi = await apiOf(s)
      const leaderApi = await apiOf(b)
      let status: { leadership?: { role: string; leader?: { nodeId: string; api?: string } } } = {}
      for (let i = 0; i < 50; i++) {
        status = (await (await fetch(`${standbyApi}/api/v1/status`, { headers })).json()) as typeof status
        if (status.leadership?.leader) break
        await new Promise((r) => setTimeout(r, 100))
      }
      t.same(
        status.leadership,
        { role: 'standby', nodeId: 'node-s2', leader: { nodeId: b.name, api: leaderApi } },
        'status on the standby names the leader and its API',
      )
      const res = await fetch(`${standbyApi}/api/v1/queues`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ number: '5999', name: 'new' }),
      })
      t.equal(res.status, 201, "a change on the standby: forwarded, the leader's 201 (src/api/forward-to-leader.ts)")
      t.equal(res.headers.get('x-koplus-answered-by'), b.name, 'answered by the leader')
      const numbers = async (api: string) =>
        (
          (await (await fetch(`${api}/api/v1/queues`, { headers })).json()) as { items: { number: string }[] }
        ).items.map((q) => q.number)
      t.ok((await numbers(leaderApi)).includes('5999'), 'the new queue is read on the leader')
      t.ok((await numbers(standbyApi)).includes('5999'), 'and on the standby')
      t.equal(
        b.proc.lines.filter((l) => l.msg === 'api change' && l.route === 'queues.create').length,
        1,
        'the leader applied it, once',
      )
      t.notOk(
        s.proc.lines.some((l) => l.msg === 'api change'),
        'the standby applied nothing itself',
      )
      const leaderStatus = (await (await fetch(`${leaderApi}/api/v1/status`, { headers })).json()) as typeof status
      t.equal(leaderStatus.leadership?.role, 'leader', 'the leader says it leads')
      const metric = async (api: string) =>
        /^koplus_leader (\d)$/m.exec(await (await fetch(`${api}/metrics`, { headers })).text())?.[1]
      t.equal(await metric(leaderApi), '1', '/metrics on the leader: koplus_leader 1')
      t.equal(await metric(standbyApi), '0', '/metrics on the standby: koplus_leader 0')
      const cliStatus = (api: string) =>
        new Promise<string>((resolve, reject) =>
          execFile(
            process.execPath,
            [join(ROOT, 'bin/koplus.js'), '--api', api, '--token', token, 'status'],
            { timeout: 20_000 },
            (err, stdout) => (err ? reject(new Error(err.message, { cause: err })) : resolve(stdout)),
          ),
        )
      t.match(
        await cliStatus(standbyApi),
        new RegExp(
          `^Leader: ${b.name} at ${leaderApi.replace(/[.]/g, '\\.')} — this daemon \\(node-s2\\) is standby$`,
          'm',
        ),
        '`koplus status` on the standby names the leader',
      )
      t.match(
        await cliStatus(leaderApi),
        new RegExp(`^Leader: this daemon \\(${b.name}\\) at ${leaderApi.replace(/[.]/g, '\\.')}$`, 'm'),
        '`koplus status` on the leader says so, with the API it advertises',
      )
    },
  )
}
