/**
 * The daemon over a store whose writes cannot be written for a while (issue 12: "a PostgreSQL outage degrades to
 * queued writes and a loud health signal, not to dropped calls"). The write queue's head job fails as a dropped
 * connection does until the test lets it through, so the outage is the same on either engine:
 * - the call path does not wait: dispatch returns the engine's commands at once, the engine's state moves on;
 * - the store's health (backend, state, queued, degradedSince) shows in /api/v1/status, /metrics
 *   (koplus_store_writes_queued, koplus_store_degraded) and the `koplus status` line; the outage is logged as an error;
 * - stop() drains the queue: writes queued during the outage are in the store after the daemon stopped.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { startApiServer } from '../../src/api/server.js'
import { engineViewOf } from '../../src/api/engine-view.js'
import { ChangeNotifier, daemonLive } from '../../src/api/live.js'
import { KoplusMetrics } from '../../src/api/metrics.js'
import { storeHealthLine } from '../../src/cli/commands/status.js'
import { startDaemon } from '../../src/daemon/daemon.js'
import { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { capture } from '../helpers/log-lines.js'

const T0 = Date.UTC(2026, 0, 12, 9, 0, 0)

/** A write-queue job that fails as a dropped connection does until `release()`. */
function outage(store: Store): { release(): void } {
  let down = true
  store.writes.enqueue('outage', async () => {
    if (down) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })
  })
  return {
    release: () => {
      down = false
    },
  }
}

t.test('a store outage: calls go on, health is loud everywhere, stop drains the queued writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-store-health-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const databasePath = join(dir, 'koplus.sqlite')
  const seed = await Store.open(databasePath)
  const q = await seed.queues.create({ number: '5000', name: 'Support' })
  const a = await seed.agents.create({ extension: '1001', name: 'Alice', plan: 'pro' })
  await seed.memberships.add(a.id, q.id)
  const op = await seed.accounts.create({
    username: 'op',
    role: 'operator',
    tenantId: null,
    agentId: null,
    password: 'a long password',
  })
  const { token } = await seed.accounts.createToken(op.id, 'test', null)
  await seed.close()

  const clock = new VirtualClock(T0)
  const { log, lines } = capture('info')
  const daemon = await startDaemon(
    { databasePath, freeswitch: { host: '127.0.0.1', port: 1, password: 'ClueCon' } },
    { clock, logger: log, connect: false, storeOptions: { writeQueue: { retryMinMs: 2, retryMaxMs: 10 } } },
  )
  let stopped = false
  t.teardown(async () => {
    if (!stopped) await daemon.stop()
  })
  const live = daemonLive(engineViewOf(daemon), new ChangeNotifier(), { watchMs: 0 })
  const api = await startApiServer({ store: daemon.store, live, now: () => clock.now(), promptDir: dir })
  t.teardown(() => api.close())
  const metrics = new KoplusMetrics()
  metrics.bindSource({
    status: () => daemon.status(),
    eslConnected: () => false,
    store: () => daemon.store.health(),
  })
  const status = async (): Promise<{ store?: { backend: string; writes: Record<string, unknown> } }> => {
    const res = await fetch(`${api.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })
    t.equal(res.status, 200)
    return (await res.json()) as { store?: { backend: string; writes: Record<string, unknown> } }
  }

  t.match(await status(), { store: { backend: 'sqlite', writes: { state: 'ok', queued: 0 } } }, 'healthy at start')
  t.match((await metrics.render()).body, /^koplus_store_degraded 0$/m)

  // the outage begins: the head job fails as a dropped connection does
  const degraded = once(daemon.store.writes, 'degraded')
  const down = outage(daemon.store)
  await degraded
  const commands = daemon.dispatch({ type: 'agent-login', agentId: a.id, source: 'api' })
  t.ok(
    commands.some((c) => c.type === 'agent-session'),
    'dispatch returned the commands at once, the session write among them',
  )
  t.equal(daemon.status().agents.find((x) => x.agentId === a.id)?.state, 'free', 'the engine went on: logged in')
  t.same(await daemon.store.sessions.list(), [], 'the session is not in the store yet: it waits in the queue')

  const h = daemon.store.health()
  t.match(h, { backend: 'sqlite', writes: { state: 'degraded', queued: 2, degradedSince: Number } })
  t.match(
    await status(),
    { store: { backend: 'sqlite', writes: { state: 'degraded', queued: 2, lastError: /Connection terminated/ } } },
    '/api/v1/status shows the outage',
  )
  const body = (await metrics.render()).body
  t.match(body, /^koplus_store_degraded 1$/m, '/metrics: degraded')
  t.match(body, /^koplus_store_writes_queued 2$/m, '/metrics: writes queued')
  t.match(storeHealthLine(h), /^Store: sqlite DEGRADED since .* — 2 write\(s\) queued in memory: Connection terminated/)
  t.ok(
    lines.some((l) => l.level === 50 && /the store is unreachable/.test(String(l.msg)) && l.err),
    'the outage is logged as an error with { err }',
  )

  // stop while the store is still down: it waits for the queue, which drains once the store is back
  const stopping = daemon.stop()
  down.release()
  await stopping
  stopped = true
  const after = await Store.open(databasePath)
  t.teardown(() => after.close())
  t.match(
    await after.sessions.list(),
    [{ agentId: a.id, queueId: q.id }],
    'the write queued during the outage is in the store',
  )
})

t.test('koplus status: the store line when healthy', async (t) => {
  t.equal(
    storeHealthLine({
      backend: 'postgres',
      writes: { state: 'ok', queued: 0, degradedSince: null, lastError: null },
    }),
    'Store: postgres, ok',
  )
  t.equal(storeHealthLine({ backend: 'sqlite', writes: { state: 'ok' } }), 'Store: sqlite, ok', 'a non-operator')
})
