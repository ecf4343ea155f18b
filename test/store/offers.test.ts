/**
 * Issue 9 (hardening), per-agent statistics: the core's `offer-record` commands, carried out by the daemon's
 * persistence (src/daemon/persist.ts), fill call_offers — agent, device, ring time, result — and the per-agent
 * table (`koplus stats agents`, the API, the admin page) is derived from them: offered / answered / missed. On
 * SQLite and PostgreSQL, written as the daemon writes them: one write-queue job per engine step.
 */
import t from 'tap'
import pino from 'pino'
import type { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { persistStep } from '../../src/daemon/persist.js'
import { CallCenter } from '../../src/core/engine/call-center.js'
import { agent, config, queue, testDeps, DOMAIN } from '../core/harness.js'
import type { CoreEvent } from '../../src/core/events.js'
import { storeBackends } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const log = pino({ level: 'silent' })
const backends = await storeBackends(t)

/** Queue q1 (5000) and agents a1 (1001), a2 (1002) in the default tenant, with plain SQL (other repositories). */
async function seed(store: Store): Promise<void> {
  await store.db.run(
    "INSERT INTO queues (id, tenant_id, number, name, created_at) VALUES ('q1', 'default', '5000', 'Sales', 1)",
  )
  for (const [id, ext, name] of [
    ['a1', '1001', 'Anna'],
    ['a2', '1002', 'Bo'],
  ])
    await store.db.run(
      "INSERT INTO agents (id, tenant_id, extension, name, plan, created_at) VALUES (?, 'default', ?, ?, 'pro', 1)",
      [id, ext, name],
    )
}

for (const b of backends) {
  t.test(`${b.name}: offers from the engine are stored and make the per-agent table`, async (t) => {
    const store = await b.openStore(t, { clock: new VirtualClock(T0) })
    await seed(store)
    const tenant = { id: 'default', name: 'Default' }
    const q = { id: 'q1' }
    const a1 = { id: 'a1' }
    const a2 = { id: 'a2' }
    const cc = new CallCenter(testDeps)
    let now = T0
    const send = (e: CoreEvent) => {
      const out = cc.handle(e, now)
      persistStep(store, e.type, out, log)
      return out
    }
    const cfg = config(
      [{ ...queue(q.id, '5000', { ringTimeSec: 10 }), tenantId: tenant.id }],
      [
        { ...agent(a1.id, { sipUser: '1001' }, [{ type: 'softphone', target: '1001' }]), tenantId: tenant.id },
        { ...agent(a2.id, { sipUser: '1002' }, [{ type: 'deskphone', target: '1002' }]), tenantId: tenant.id },
      ],
      { tenants: [{ id: tenant.id, name: tenant.name, domain: DOMAIN }] },
    )
    send({ type: 'config', config: cfg })
    for (const u of ['1001', '1002']) send({ type: 'registration', sipUser: u, domain: DOMAIN, registered: true })
    send({ type: 'agent-login', agentId: a1.id, source: 'api' })
    now += 1000
    send({ type: 'agent-login', agentId: a2.id, source: 'api' })
    // Call 1: a1 (longest idle) is busy; a2 answers after 3 s and talks 60 s.
    let o = send({
      type: 'call-arrived',
      callId: 'c1',
      queueNumber: '5000',
      tenantDomain: DOMAIN,
      callerNumber: '0701',
      callerName: '',
    }).find((c) => c.type === 'originate')!
    if (o.type !== 'originate') throw new Error('no originate')
    t.equal(o.legs[0].agentId, a1.id)
    now += 2000
    o = send({ type: 'leg-failed', legId: o.legs[0].legId, cause: 'USER_BUSY' }).find((c) => c.type === 'originate')!
    if (o.type !== 'originate') throw new Error('no second originate')
    t.equal(o.legs[0].agentId, a2.id)
    const leg2 = o.legs[0].legId
    now += 3000
    send({ type: 'leg-answered', legId: leg2 })
    send({ type: 'bridged', callId: 'c1', legId: leg2 })
    now += 60_000
    send({ type: 'leg-hungup', legId: leg2, cause: 'NORMAL_CLEARING' })

    await store.writes.drained()
    t.match(store.health().writes, { rejected: 0 }, 'every step written')
    const offers = await store.calls.offersForCall('c1')
    t.same(
      offers.map((f) => ({
        agent: f.agentId,
        device: f.device,
        result: f.result,
        ringMs: (f.answeredAt ?? f.endedAt!) - f.offeredAt,
        ended: f.endedAt !== null,
      })),
      [
        { agent: a1.id, device: 'softphone:1001', result: 'busy', ringMs: 2000, ended: true },
        { agent: a2.id, device: 'deskphone:1002', result: 'answered', ringMs: 3000, ended: true },
      ],
    )
    t.equal(offers[1].endedAt! - offers[1].answeredAt!, 60_000, 'the answered offer ends with the conversation')
    const stats = await store.report.agentStats({ since: T0, until: T0 + 3_600_000 })
    t.same(
      stats.map((s) => [s.extension, s.offered, s.answered, s.missed]),
      [
        ['1001', 1, 0, 1],
        ['1002', 1, 1, 0],
      ],
      'per-agent offered / answered / missed',
    )
  })

  t.test(`${b.name}: confirm-timeout counts as missed; lost-race and cancelled do not`, async (t) => {
    const store = await b.openStore(t, { clock: new VirtualClock(T0) })
    await seed(store)
    const a = { id: 'a1' }
    const q = { id: 'q1', tenantId: 'default' }
    await store.calls.start({ callId: 'c', tenantId: q.tenantId, queueId: q.id, arrivedAt: T0 })
    for (const result of ['confirm-timeout', 'lost-race', 'cancelled'] as const) {
      const f = await store.calls.addOffer({
        callId: 'c',
        agentId: a.id,
        offeredAt: T0 + 1,
        legUuid: `leg-${result}`,
        device: 'mobile:4670',
      })
      await store.calls.finishOffer(f.id, { result, endedAt: T0 + 2 })
    }
    t.equal((await store.calls.findOfferByLeg('leg-lost-race'))?.result, 'lost-race')
    const [s] = await store.report.agentStats({ since: T0, until: T0 + 1000 })
    t.same([s.offered, s.answered, s.missed], [3, 0, 1])
  })
}
