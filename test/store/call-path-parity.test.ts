/**
 * The async call-path repository means the same as the synchronous repositories it stands beside (calls.ts,
 * events.ts, ewt.ts, sessions.ts): the same steps on each give the same records. The suite in
 * call-path-repository.test.ts then shows PostgreSQL gives what SQLite gives.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { CallPathRepository, Store } from '../../src/store/index.js'
import { SqliteSqlDb } from '../../src/store/sql/sqlite-db.js'
import { VirtualClock } from '../../src/util/clock.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

t.test('the same call, offers, events, announcements and sessions through both give the same records', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-parity-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const sync = Store.open(join(dir, 'sync.sqlite'), { clock: new VirtualClock(T0) })
  t.teardown(() => sync.close())
  const db = SqliteSqlDb.open(join(dir, 'async.sqlite'))
  t.teardown(() => db.close())
  const repo = new CallPathRepository(db)
  const seed = [
    "INSERT INTO queues (id, tenant_id, number, name, created_at) VALUES ('q1', 'default', '5000', 'Support', 1)",
    "INSERT INTO agents (id, tenant_id, extension, name, plan, created_at) VALUES ('a1', 'default', '1001', 'A', 'pro', 1)",
    "INSERT INTO memberships (agent_id, queue_id, created_at) VALUES ('a1', 'q1', 1)",
  ]
  for (const sql of seed) {
    sync.db.exec(sql)
    await db.run(sql)
  }

  const start = {
    callId: 'c1',
    tenantId: 'default',
    queueId: 'q1',
    arrivedAt: T0,
    callerNumber: '+46',
    callerName: 'Ann',
    enteredQueueAt: T0 + 1500,
  }
  t.same(await repo.startCall(start), sync.calls.start(start))
  for (const patch of [
    { answeredAt: T0 + 20_000, agentId: 'a1' },
    { endedAt: T0 + 80_000, outcome: 'answered' as const },
    { talkMs: 1 },
  ]) {
    t.same(await repo.updateCall('c1', patch), sync.calls.update('c1', patch), `update ${JSON.stringify(patch)}`)
  }
  const offer = { callId: 'c1', agentId: 'a1', offeredAt: T0 + 2000, legUuid: 'leg-1', device: 'softphone:1001' }
  const a = await repo.addOffer(offer)
  const b = sync.calls.addOffer(offer)
  t.same(a, b)
  t.same(
    await repo.finishOffer(a.id, { result: 'answered', answeredAt: T0 + 20_000 }),
    sync.calls.finishOffer(b.id, { result: 'answered', answeredAt: T0 + 20_000 }),
  )
  t.same(
    await repo.finishOffer(a.id, { result: 'answered', endedAt: T0 + 80_000, cause: 'NORMAL_CLEARING' }),
    sync.calls.finishOffer(b.id, { result: 'answered', endedAt: T0 + 80_000, cause: 'NORMAL_CLEARING' }),
  )
  t.same(await repo.openOffers(), sync.calls.openOffers())

  const ev = { at: T0 + 0.4, callId: 'c1', queueId: 'q1', event: 'ARRIVE', data: { n: [1, 'x'] } }
  t.equal(await repo.appendEvent(ev), sync.events.append(ev))
  t.same(await repo.listEvents({ callId: 'c1' }), sync.events.list({ callId: 'c1' }))

  const ewt = { callId: 'c1', queueId: 'q1', at: T0 + 1500, position: 2, announcedSeconds: 60 }
  t.equal(await repo.recordEwt(ewt), sync.ewt.record(ewt))
  t.equal(await repo.resolveEwt('c1', T0 + 20_000), sync.ewt.resolve('c1', T0 + 20_000))
  t.same(await repo.ewtForCall('c1'), sync.ewt.forCall('c1'))

  t.same(await repo.login('a1', 'q1', T0), sync.sessions.login('a1', 'q1', T0))
  t.equal(await repo.setPaused('a1', true, 'lunch', T0 + 1), sync.sessions.setPaused('a1', true, 'lunch', T0 + 1))
  t.same(await repo.sessions(), sync.sessions.list())
  t.same(await repo.logout('a1'), sync.sessions.logout('a1'))
})
