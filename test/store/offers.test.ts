/**
 * Issue 9 (hardening), per-agent statistics: the core's `offer-record` commands, carried out by the daemon's
 * persistence (src/daemon/persist.ts), fill call_offers — agent, device, ring time, result — and the per-agent
 * table (`koplus stats agents`, the API, the admin page) is derived from them: offered / answered / missed.
 */
import t from 'tap'
import pino from 'pino'
import { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { persist } from '../../src/daemon/persist.js'
import { CallCenter } from '../../src/core/engine/call-center.js'
import { agent, config, queue, testDeps, DOMAIN } from '../core/harness.js'
import type { CoreEvent } from '../../src/core/events.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const log = pino({ level: 'silent' })

t.test('offers from the engine are stored and make the per-agent table', async (t) => {
  const store = Store.open(':memory:', { clock: new VirtualClock(T0) })
  t.teardown(() => store.close())
  const tenant = store.tenants.list()[0]
  const q = store.queues.create({ number: '5000', name: 'Sales' })
  const a1 = store.agents.create({ extension: '1001', name: 'Anna', plan: 'pro' })
  const a2 = store.agents.create({ extension: '1002', name: 'Bo', plan: 'pro' })
  const cc = new CallCenter(testDeps)
  let now = T0
  const send = (e: CoreEvent) => {
    const out = cc.handle(e, now)
    store.tx(() => {
      for (const c of out) persist(store, c, log)
    })
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

  const offers = store.calls.offersForCall('c1')
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
  const stats = store.report.agentStats({ since: T0, until: T0 + 3_600_000 })
  t.same(
    stats.map((s) => [s.extension, s.offered, s.answered, s.missed]),
    [
      ['1001', 1, 0, 1],
      ['1002', 1, 1, 0],
    ],
    'per-agent offered / answered / missed',
  )
})

t.test('confirm-timeout counts as missed; lost-race and cancelled do not', async (t) => {
  const store = Store.open(':memory:', { clock: new VirtualClock(T0) })
  t.teardown(() => store.close())
  const a = store.agents.create({ extension: '1001', name: 'Anna', plan: 'pro' })
  const q = store.queues.create({ number: '5000', name: 'Sales' })
  store.calls.start({ callId: 'c', tenantId: q.tenantId, queueId: q.id, arrivedAt: T0 })
  for (const result of ['confirm-timeout', 'lost-race', 'cancelled'] as const) {
    const f = store.calls.addOffer({
      callId: 'c',
      agentId: a.id,
      offeredAt: T0 + 1,
      legUuid: `leg-${result}`,
      device: 'mobile:4670',
    })
    store.calls.finishOffer(f.id, { result, endedAt: T0 + 2 })
  }
  t.equal(store.calls.findOfferByLeg('leg-lost-race')?.result, 'lost-race')
  const [s] = store.report.agentStats({ since: T0, until: T0 + 1000 })
  t.same([s.offered, s.answered, s.missed], [3, 0, 1])
})
