/**
 * Issue 9 (hardening): koplus_* channel variables read on a rebuild are validated (uuid_dump values are strings a
 * dialplan, an operator or a bug may have set to anything). One warning per channel, and the caller keeps the best
 * safe interpretation: join time clamped to [channel creation, now], order from the channel's creation time when
 * the seq is bad. The stable queue id and the "connected" marker are read too.
 */
import t from 'tap'
import { classifyChannels } from '../../src/freeswitch/adapter/restore.js'
import { FreeSwitchAdapter } from '../../src/freeswitch/adapter/adapter.js'
import type { EslPort } from '../../src/freeswitch/adapter/port.js'
import { makeEvent } from '../../src/freeswitch/esl/event.js'
import type { CoreEvent } from '../../src/core/events.js'

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0)
const YEAR = 365 * 86_400_000

/** A parked, answered queue caller created `agoMs` before NOW (Caller-Channel-Created-Time is in µs). */
function caller(uuid: string, agoMs: number, vars: Record<string, string>): Record<string, string> {
  return {
    'Unique-ID': uuid,
    'Answer-State': 'answered',
    'Channel-State': 'CS_PARK',
    'Caller-Channel-Created-Time': String((NOW - agoMs) * 1000),
    variable_koplus_queue: '5000',
    variable_koplus_tenant: 'default',
    ...vars,
  }
}

function classify(dumps: Record<string, string>[]) {
  const warnings: { uuid: string; problems: string[] }[] = []
  const live = classifyChannels(dumps, NOW, (uuid, problems) => warnings.push({ uuid, problems }))
  return { live, warnings }
}

t.test('good variables: taken as they are, no warning', async (t) => {
  const { live, warnings } = classify([
    caller('a', 60_000, {
      variable_koplus_joined_at: String(NOW - 50_000),
      variable_koplus_seq: '7',
      variable_koplus_queue_id: 'q-1',
    }),
  ])
  t.match(live.calls.get('a')!.restored, { joinedAt: NOW - 50_000, seq: 7, queueId: 'q-1' })
  t.notOk(live.calls.get('a')!.restored.repaired)
  t.same(warnings, [])
})

t.test('a join time a year ahead is clamped to now; a hugely negative one to the channel creation', async (t) => {
  const { live, warnings } = classify([
    caller('future', 60_000, { variable_koplus_joined_at: String(NOW + YEAR), variable_koplus_seq: '3' }),
    caller('past', 60_000, { variable_koplus_joined_at: '-100000000000000000', variable_koplus_seq: '4' }),
    caller('text', 60_000, { variable_koplus_joined_at: 'yesterday', variable_koplus_seq: '5' }),
  ])
  t.equal(live.calls.get('future')!.restored.joinedAt, NOW, 'future → now')
  t.equal(live.calls.get('past')!.restored.joinedAt, NOW - 60_000, 'before the channel existed → its creation')
  t.equal(live.calls.get('text')!.restored.joinedAt, NOW - 60_000, 'not a number → the creation time')
  t.same(
    warnings.map((w) => w.uuid),
    ['future', 'past', 'text'],
    'one warning per channel',
  )
  for (const uuid of ['future', 'past', 'text']) t.equal(live.calls.get(uuid)!.restored.repaired, true)
  t.equal(live.calls.get('future')!.restored.seq, 3, 'a good seq is kept')
})

t.test('a bad seq: ordered by creation time among the others, not sent to the back nor made new', async (t) => {
  const { live, warnings } = classify([
    caller('s1', 90_000, { variable_koplus_joined_at: String(NOW - 85_000), variable_koplus_seq: '10' }),
    caller('bad', 80_000, { variable_koplus_joined_at: String(NOW - 75_000), variable_koplus_seq: 'abc' }),
    caller('bad2', 79_000, { variable_koplus_joined_at: String(NOW - 74_000), variable_koplus_seq: '-4' }),
    caller('s2', 70_000, { variable_koplus_joined_at: String(NOW - 65_000), variable_koplus_seq: '11' }),
    caller('first', 95_000, { variable_koplus_joined_at: String(NOW - 94_000), variable_koplus_seq: '' }),
  ])
  const order = [...live.calls.values()].sort((a, b) => a.restored.seq - b.restored.seq).map((c) => c.callId)
  t.same(order, ['first', 's1', 'bad', 'bad2', 's2'], 'creation order')
  for (const c of live.calls.values())
    t.ok(c.restored.seq > 0, `${c.callId} is a restored caller (seq ${c.restored.seq} > 0), not a new arrival`)
  t.equal(live.calls.get('bad')!.restored.joinedAt, NOW - 75_000, 'its good join time is kept')
  t.same(warnings.map((w) => w.uuid).sort(), ['bad', 'bad2', 'first'])
  t.match(warnings.find((w) => w.uuid === 'bad')!.problems[0], /koplus_seq "abc"/)
})

t.test('a call parked before the daemon set anything is a new arrival, without a warning', async (t) => {
  const { live, warnings } = classify([caller('new', 2_000, {})])
  t.match(live.calls.get('new')!.restored, { seq: 0, joinedAt: NOW - 2_000 })
  t.same(warnings, [])
})

t.test('the connected marker: parked again after the bridge → connected; still bridged → bridgedTo', async (t) => {
  const marks = {
    variable_koplus_joined_at: String(NOW - 50_000),
    variable_koplus_seq: '2',
    variable_koplus_connected: String(NOW - 30_000),
    variable_koplus_connected_agent: 'ag-1',
  }
  const { live } = classify([caller('parked', 60_000, marks)])
  t.same(live.calls.get('parked')!.restored.connected, { at: NOW - 30_000, agentId: 'ag-1' })
  t.notOk(live.calls.get('parked')!.restored.bridgedTo)
  const bridged = classify([
    { ...caller('talking', 60_000, marks), 'Channel-State': 'CS_EXCHANGE_MEDIA', variable_bridge_uuid: 'leg-1' },
    {
      'Unique-ID': 'leg-1',
      'Answer-State': 'answered',
      variable_koplus_role: 'agent',
      variable_koplus_call: 'talking',
      variable_koplus_agent: 'ag-1',
      variable_origination_uuid: 'leg-1',
      variable_bridge_uuid: 'talking',
    },
  ]).live
  t.same(bridged.calls.get('talking')!.restored.bridgedTo, { legId: 'leg-1', agentId: 'ag-1' })
  // The daemon died before it could mark the call connected, but FreeSWITCH bridged it with the leg named before.
  const before = {
    variable_koplus_joined_at: String(NOW - 50_000),
    variable_koplus_seq: '2',
    variable_koplus_bridge_leg: 'leg-7',
    variable_koplus_bridge_agent: 'ag-2',
  }
  const fsSaid = classify([
    caller('pab', 60_000, {
      ...before,
      variable_last_bridge_to: 'leg-7',
      variable_bridge_uuid: 'leg-7',
      'Caller-Channel-Bridged-Time': String((NOW - 20_000) * 1000),
    }),
  ]).live
  t.same(
    fsSaid.calls.get('pab')!.restored.connected,
    { at: NOW - 20_000, agentId: 'ag-2' },
    'connected by last_bridge_to, at the bridged time',
  )
  const neverBridged = classify([caller('nb', 60_000, { ...before, variable_last_bridge_to: 'other-leg' })]).live
  t.notOk(
    neverBridged.calls.get('nb')!.restored.connected,
    'a bridge that did not happen (another leg, or none) is not a connection',
  )
  const garbage = classify([caller('g', 60_000, { ...marks, variable_koplus_connected: 'soon' })])
  t.same(
    garbage.live.calls.get('g')!.restored.connected,
    { at: NOW - 50_000, agentId: 'ag-1' },
    'a bad connect time → the join time, still connected',
  )
  t.equal(garbage.warnings.length, 1)
})

// ── the adapter's side of a rebuild ──

function adapterSetup() {
  const events: CoreEvent[] = []
  const port: EslPort = {
    api: async (cmd) => (cmd.startsWith('uuid_exists') ? 'true' : '+OK'),
    bgapi: () => new Promise(() => undefined),
    execute: () => new Promise(() => undefined),
    sendmsg: async () => '+OK',
  }
  const adapter = new FreeSwitchAdapter(port, (e) => events.push(e), { now: () => NOW })
  // Restored callers come in one calls-restored event (one engine step: issue 13, recovery); flattened here.
  const arrivals = () =>
    events.flatMap((e) => (e.type === 'calls-restored' ? e.calls : e.type === 'call-arrived' ? [e] : []))
  return { adapter, events, arrivals }
}
const parkEvent = (h: Record<string, string>) => makeEvent({ 'Event-Name': 'CHANNEL_PARK', ...h })

t.test(
  'reconcile reports restored callers in their queue order, whatever order FreeSWITCH lists them in',
  async (t) => {
    const { adapter, arrivals } = adapterSetup()
    const dumps = [9, 3, 7, 5].map((seq) =>
      caller(`s${seq}`, 60_000, {
        variable_koplus_joined_at: String(NOW - 50_000 + seq),
        variable_koplus_seq: String(seq),
      }),
    )
    await adapter.reconcile(classifyChannels([caller('new', 1000, {}), ...dumps], NOW))
    t.same(
      arrivals().map((e) => e.callId),
      ['s3', 's5', 's7', 's9', 'new'],
      'restored by seq, then the new arrival',
    )
  },
)

t.test('during a rebuild a new caller is held and comes after every restored one', async (t) => {
  const { adapter, arrivals } = adapterSetup()
  adapter.beginRebuild()
  adapter.handleEslEvent(parkEvent({ 'Unique-ID': 'fresh', variable_koplus_queue: '5000', 'Answer-State': 'ringing' }))
  t.same(arrivals(), [], 'held while the rebuild runs')
  await adapter.reconcile(
    classifyChannels(
      [caller('old', 60_000, { variable_koplus_joined_at: String(NOW - 50_000), variable_koplus_seq: '12' })],
      NOW,
    ),
  )
  t.same(arrivals(), [], 'still held until the rebuild ends')
  adapter.endRebuild()
  t.same(
    arrivals().map((e) => [e.callId, e.restored?.seq ?? 'new']),
    [
      ['old', 12],
      ['fresh', 'new'],
    ],
  )
  // A held caller who hangs up before the end of the rebuild is not reported as arrived.
  adapter.beginRebuild()
  adapter.handleEslEvent(parkEvent({ 'Unique-ID': 'gone', variable_koplus_queue: '5000' }))
  adapter.handleEslEvent(
    makeEvent({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'gone', 'Hangup-Cause': 'ORIGINATOR_CANCEL' }),
  )
  adapter.endRebuild()
  t.notOk(arrivals().some((e) => e.callId === 'gone'))
})

t.test(
  'a CHANNEL_PARK of a call an earlier daemon handled is restored from its variables, not a new caller',
  async (t) => {
    const { adapter, arrivals } = adapterSetup()
    // The park_after_bridge park of a caller whose agent hung up while this daemon was starting.
    adapter.handleEslEvent(
      parkEvent({
        'Unique-ID': 'pab',
        'Answer-State': 'answered',
        'Channel-State': 'CS_PARK',
        'Caller-Channel-Created-Time': String((NOW - 90_000) * 1000),
        variable_koplus_queue: '5000',
        variable_koplus_queue_id: 'q-1',
        variable_koplus_joined_at: String(NOW - 80_000),
        variable_koplus_seq: '4',
        variable_koplus_connected: String(NOW - 60_000),
        variable_koplus_connected_agent: 'ag-1',
      }),
    )
    t.match(arrivals()[0]?.restored, {
      seq: 4,
      joinedAt: NOW - 80_000,
      queueId: 'q-1',
      connected: { at: NOW - 60_000, agentId: 'ag-1' },
    })
  },
)
