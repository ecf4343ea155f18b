/**
 * Issue 12: the PostgreSQL primary fails over. A private primary with a streaming replica (pg_basebackup -R,
 * test/helpers/pg-replica.ts) and a TcpProxy in front standing for the virtual IP / DNS name every client uses.
 * Through it: the asynchronous store's write queue (src/store/write-queue.ts, with its default retry timing) fed
 * one event's writes every 20 ms as the call path does, and a pair of daemon processes (test/helpers/pair-rig.ts)
 * holding the leader lock, with two callers waiting.
 *
 * The primary is stopped; the replica is promoted and the proxy pointed at it. Expected: the queue goes degraded,
 * keeps every write, and drains to the new primary in order, exactly once; the leader loses its lock session,
 * fences itself and exits 3; the standby takes the lock on the new primary (advisory locks are not replicated, so
 * the new primary has none) and serves the waiting callers in their order, each offered once. The figures (time
 * degraded, writes queued, time to a new leader) are printed as tap comments.
 */
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import { Store } from '../../src/store/index.js'
import type { SqlRunner } from '../../src/store/sql/async-db.js'
import { WriteQueue, type WriteQueueHealth } from '../../src/store/write-queue.js'
import { seedStore } from '../helpers/journey-fixture.js'
import { commandsOf, startPairDaemon, stopPairDaemon, type PairDaemon } from '../helpers/pair-rig.js'
import { promote, startReplica } from '../helpers/pg-replica.js'
import { startPostgres } from '../helpers/postgres.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

/** One event's writes, as the call path queues them: the call's record and its event row. */
function eventJob(store: Store, i: number) {
  return async (tx: SqlRunner) => {
    const s = store.within(tx)
    await s.calls.start({ callId: `c${i}`, tenantId: 'default', queueId: 'q1', arrivedAt: T0 + i })
    await s.events.append({ at: T0 + i, callId: `c${i}`, queueId: 'q1', event: 'ARRIVE', data: { i } })
  }
}

const primary = await startPostgres(t)

if (primary) {
  // The daemons' data (database 'pair') apart from the write-queue check's ('koplus'), both on the failing cluster.
  const pairOnPrimary = await primary.createDatabase('pair')
  const replica = await startReplica(primary, t)
  t.comment(`streaming replica on 127.0.0.1:${replica.port}: pg_basebackup ${replica.copyMs.toFixed(0)} ms`)
  const vip = new TcpProxy(primary.port)
  const vipPort = await vip.listen()
  t.teardown(() => vip.close())
  const url = `postgres://koplus@127.0.0.1:${vipPort}/koplus`
  const store = await Store.open(url, { connectTimeoutMs: 1000 })
  const db = store.db
  const queue = new WriteQueue(db) // the defaults: retry after 100 ms, doubling to 5 s
  t.teardown(async () => {
    await queue.close()
    await store.close()
  })

  const pairUrl = pairOnPrimary.replace(`:${primary.port}/`, `:${vipPort}/`)
  const pairStore = await Store.open(pairUrl)
  await seedStore(pairStore, [{ number: '5000' }], [{ extension: '1001', loggedIn: ['5000'] }])
  await pairStore.close()
  const dir = mkdtempSync(join(tmpdir(), 'koplus-pgfo-'))
  const seeded = { dir, dbPath: join(dir, 'koplus.sqlite') }
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  sim.endpoint('1001', { registered: false })
  const nodes = [{ id: 'a', eslPort: await sim.listen(0, '127.0.0.1'), sipAddress: '127.0.0.1' }]
  const daemons: PairDaemon[] = []
  t.teardown(async () => {
    for (const d of daemons) await stopPairDaemon(d)
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })
  const start = async (name: string) => {
    const d = await startPairDaemon({
      name,
      nodes,
      pgPort: vipPort,
      dbUrl: pairUrl,
      dbPath: seeded.dbPath,
      dir: seeded.dir,
    })
    daemons.push(d)
    return d
  }
  const leads = (d: PairDaemon, timeoutMs = 20_000) =>
    d.proc.waitForLog((l) => /^rebuilt the view/.test(l.msg), timeoutMs, `${d.name} rebuilt as leader`)
  const offersTo = (call: SimCall) => sim.originates.filter((o) => o.arg.includes(`koplus_call=${call.uuid}`)).length

  const a = await start('pgfo-a')
  await leads(a)
  const b = await start('pgfo-b')
  await b.proc.waitForLog((l) => l.msg === 'connected to FreeSWITCH' && l.role === 'standby', 1000, 'b standing by')

  await t.test(
    'primary stopped, replica promoted, the address moved: writes queue and drain in order exactly once; a daemon leads again',
    async (t) => {
      let n = 0
      for (let i = 0; i < 10; i++) queue.enqueue(`ARRIVE c${++n}`, eventJob(store, n))
      await queue.drained()
      const calls: SimCall[] = []
      for (let i = 1; i <= 2; i++) {
        const c = sim.placeCall({ to: '5000', from: `0705000${i}` })
        await sim.waitFor(() => !!c.variable('koplus_seq'), 5000, `caller ${i} in the queue`)
        calls.push(c)
      }

      // The call path goes on writing, one event every 20 ms, through the whole failover.
      let peakQueued = 0
      const feeder = setInterval(() => {
        queue.enqueue(`ARRIVE c${++n}`, eventJob(store, n))
        peakQueued = Math.max(peakQueued, queue.health().queued)
      }, 20)
      t.teardown(() => clearInterval(feeder))
      while (queue.health().written < 15) await once(queue, 'written') // the feeder's writes are flowing

      const degraded = once(queue, 'degraded') as Promise<[WriteQueueHealth]>
      const recovered = once(queue, 'recovered')
      const stoppedAt = performance.now()
      await primary.stop() // mode fast: sessions cut; the replica has received every commit before it exits
      const [atStart] = await degraded
      const degradedAt = performance.now()
      t.equal(atStart.state, 'degraded', `the queue is degraded: ${atStart.lastError}`)
      const exit = await a.proc.exited
      t.equal(exit.code, 3, 'the leader lost its lock session, fenced itself and exited 3')
      t.ok(
        a.proc.lines.some((l) => /^leadership: fenced/.test(l.msg)),
        'and said why',
      )
      const promoteMs = await promote(replica)
      vip.retarget(replica.port) // the VIP / DNS name now leads to the new primary
      const movedAt = performance.now()
      await recovered
      const recoveredAt = performance.now()
      await leads(b)
      const ledAt = performance.now()
      clearInterval(feeder)
      await queue.drained()
      const h = queue.health()
      t.match(h, { state: 'ok', queued: 0, rejected: 0, degradedSince: null }, 'healthy again, nothing rejected')
      t.comment(
        `PostgreSQL failover: promote ${promoteMs.toFixed(0)} ms; write queue degraded ${(recoveredAt - degradedAt).toFixed(0)} ms ` +
          `(primary stopped → address moved ${(movedAt - stoppedAt).toFixed(0)} ms, moved → drained ${(recoveredAt - movedAt).toFixed(0)} ms), ` +
          `peak ${peakQueued} writes queued, ${h.failures} failed attempts, ${h.written} written; ` +
          `primary stopped → new leader rebuilt ${(ledAt - stoppedAt).toFixed(0)} ms`,
      )

      const events = await store.events.list({ limit: 10_000 })
      t.same(
        events.map((e) => e.callId),
        Array.from({ length: n }, (_, i) => `c${i + 1}`),
        `all ${n} events on the new primary, once each, in the order queued`,
      )
      const [{ count }] = await db.all<{ count: number }>('SELECT count(*) AS count FROM call_records')
      t.equal(Number(count), n, 'one call record per event, none twice')
      const [{ last }] = await db.all<{ last: number }>('SELECT last_seq AS last FROM koplus_writer WHERE writer = ?', [
        queue.writerId,
      ])
      t.equal(Number(last), n, "the writer's last applied sequence number is the last queued")
      const [{ recovery }] = await db.all<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery')
      t.equal(recovery, false, 'written to the promoted replica, now a primary')

      t.same(
        calls.map((c) => c.state),
        calls.map(() => 'answered'),
        'the callers waited through the failover',
      )
      sim.endpoint('1001', { registered: true, answerAfterMs: 50, hangupAfterMs: 150 })
      const order: string[] = []
      for (const c of calls) {
        await c.waitForState('bridged', 10_000)
        order.push(c.uuid)
        await c.waitForState('hungup', 5000)
      }
      t.same(
        order,
        calls.map((c) => c.uuid),
        'served by the new leader in their order',
      )
      t.same(
        calls.map(offersTo),
        calls.map(() => 1),
        'each offered once',
      )
      const oldLast = commandsOf(a).at(-1)
      const newFirst = commandsOf(b)[0]
      t.ok(
        oldLast && newFirst && oldLast.at < newFirst.at && newFirst.at > stoppedAt,
        "the old leader's last command came before the new leader's first, which came after the primary stopped",
      )
    },
  )
}
