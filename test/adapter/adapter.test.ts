import t from 'tap'
import { FreeSwitchAdapter } from '../../src/freeswitch/adapter/adapter.js'
import {
  originateCommand,
  playbackArgument,
  jobFailureCause,
  originateValue,
} from '../../src/freeswitch/adapter/dial.js'
import { classifyChannels, parseRegistrations, parseShowChannels } from '../../src/freeswitch/adapter/restore.js'
import type { EslPort } from '../../src/freeswitch/adapter/port.js'
import { EslChannelGoneError } from '../../src/freeswitch/esl/errors.js'
import { makeEvent } from '../../src/freeswitch/esl/event.js'
import type { CoreEvent } from '../../src/core/events.js'

interface Sent {
  kind: 'api' | 'bgapi' | 'sendmsg' | 'execute'
  command?: string
  uuid?: string
  headers?: Record<string, string>
  app?: string
  arg?: string
  loops?: number
  /** execute / bgapi: settle the pending result. */
  settle?: (v: unknown) => void
  fail?: (e: unknown) => void
}

function setup(apiReply: (cmd: string) => string = () => '+OK') {
  const sent: Sent[] = []
  const events: CoreEvent[] = []
  const pending = <T>(entry: Sent) =>
    new Promise<T>((resolve, reject) => {
      entry.settle = resolve as (v: unknown) => void
      entry.fail = reject
      sent.push(entry)
    })
  const port: EslPort = {
    async api(command) {
      sent.push({ kind: 'api', command })
      return apiReply(command)
    },
    bgapi(command) {
      return pending({ kind: 'bgapi', command })
    },
    execute(uuid, app, arg, opts) {
      return pending({ kind: 'execute', uuid, app, arg, loops: opts?.loops })
    },
    async sendmsg(uuid, headers) {
      sent.push({ kind: 'sendmsg', uuid, headers })
      return '+OK'
    },
  }
  const adapter = new FreeSwitchAdapter(port, (e) => events.push(e), { transferContext: 'koplus' })
  return { adapter, sent, events }
}
const tick = () => new Promise((r) => setImmediate(r))

const ev = (h: Record<string, string>, body?: string) => makeEvent(h, body)
const park = (uuid: string, vars: Record<string, string> = {}) =>
  ev({
    'Event-Name': 'CHANNEL_PARK',
    'Unique-ID': uuid,
    'Caller-Caller-ID-Number': '15551230001',
    'Caller-Caller-ID-Name': 'Lab Caller',
    ...Object.fromEntries(Object.entries(vars).map(([k, v]) => ['variable_' + k, v])),
  })

t.test('CHANNEL_PARK with koplus_queue is a call; the far leg without koplus vars is ignored', async (t) => {
  const { adapter, events } = setup()
  adapter.handleEslEvent(park('far'))
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000', koplus_tenant: 'default' }))
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000', koplus_tenant: 'default' }))
  t.same(events, [
    {
      type: 'call-arrived',
      callId: 'q1',
      queueNumber: '5000',
      tenantDomain: 'default',
      callerNumber: '15551230001',
      callerName: 'Lab Caller',
    },
  ])
})

t.test(
  'a koplus doctor test call (koplus_check_id) parked with koplus_queue or koplus_feature is not a caller',
  async (t) => {
    const { adapter, events } = setup()
    adapter.handleEslEvent(park('d1', { koplus_queue: '5000', koplus_tenant: 'default', koplus_check_id: 'a-leg' }))
    adapter.handleEslEvent(
      park('d2', {
        koplus_feature: '*71',
        koplus_tenant: 'default',
        koplus_check_id: 'a-leg',
        sip_auth_username: '1001',
      }),
    )
    adapter.handleEslEvent(park('q1', { koplus_queue: '5000', koplus_tenant: 'default' }))
    t.same(
      events.map((e) => e.type === 'call-arrived' && e.callId),
      ['q1'],
    )
  },
)

t.test('feature call: sip user from sip_auth_username, domain from koplus_tenant', async (t) => {
  const { adapter, events } = setup()
  adapter.handleEslEvent(
    park('f1', {
      koplus_feature: '*715000',
      koplus_tenant: 'acme.test',
      sip_auth_username: '1001',
      sip_auth_realm: 'x',
    }),
  )
  t.same(events, [{ type: 'feature-call', callId: 'f1', digits: '*715000', sipUser: '1001', domain: 'acme.test' }])
})

t.test('full offer: originate, answer, bridge, agent hangs up, park after bridge, caller hangs up', async (t) => {
  const { adapter, events, sent } = setup()
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'q1' }))
  await adapter.execute({ type: 'hold-music', callId: 'q1', source: 'moh.wav' })
  t.match(sent.at(-1), { kind: 'execute', uuid: 'q1', app: 'playback', arg: 'moh.wav', loops: -1 })
  await adapter.execute({
    type: 'originate',
    callId: 'q1',
    offerId: 'o1',
    timeoutSec: 2,
    callerIdName: 'Support 15551230001',
    callerIdNumber: '15551230001',
    queueId: 'q-5000',
    legs: [{ legId: 'L1', agentId: 'a1001', dialString: 'user/1001@default', confirm: false, whisper: false }],
  })
  const og = sent.at(-1)!
  t.equal(og.kind, 'bgapi')
  t.match(
    og.command!,
    /^originate \{ignore_early_media=true,originate_timeout=2,origination_caller_id_name='Support 15551230001',origination_caller_id_number=15551230001,koplus_role=agent,koplus_call=q1,/,
  )
  t.match(og.command!, /\[origination_uuid=L1,koplus_agent=a1001,koplus_offer=o1\]user\/1001@default &park\(\)$/)
  // The agent leg parks after answering: not a call.
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_PROGRESS', 'Unique-ID': 'L1', variable_koplus_role: 'agent' }))
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'L1', variable_koplus_role: 'agent' }))
  adapter.handleEslEvent(park('L1', { koplus_role: 'agent' }))
  await adapter.execute({ type: 'stop-audio', callId: 'q1' })
  await adapter.execute({ type: 'bridge', callId: 'q1', legId: 'L1' })
  t.same(
    sent.slice(-3).map((s) => s.command),
    ['uuid_break q1 all', 'uuid_setvar q1 park_after_bridge true', 'uuid_bridge q1 L1'],
  )
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_BRIDGE', 'Unique-ID': 'q1', 'Other-Leg-Unique-ID': 'L1' }))
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'L1', 'Hangup-Cause': 'NORMAL_CLEARING' }))
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'q1', 'Hangup-Cause': 'NORMAL_CLEARING' }))
  adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'q1', 'Hangup-Cause': 'NORMAL_CLEARING' }))
  t.same(
    events.map((e) => e.type),
    [
      'call-arrived',
      'call-answered',
      'leg-ringing',
      'leg-answered',
      'bridged',
      'leg-hungup',
      'call-parked-after-bridge',
      'call-hungup',
    ],
  )
  t.same(adapter.knownCalls(), [])
})

t.test(
  'leg hang-up before bridge is leg-failed with the cause; BACKGROUND_JOB -ERR fails legs without a channel',
  async (t) => {
    const { adapter, events, sent } = setup()
    adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
    await adapter.execute({
      type: 'originate',
      callId: 'q1',
      offerId: 'o1',
      timeoutSec: 2,
      callerIdName: 'Q',
      callerIdNumber: '1',
      queueId: 'q',
      legs: [
        { legId: 'L1', agentId: 'a1', dialString: 'user/1001', confirm: false, whisper: false },
        { legId: 'L2', agentId: 'a2', dialString: 'user/1002', confirm: false, whisper: false },
      ],
    })
    const job = sent.at(-1)!
    adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'L1', 'Hangup-Cause': 'USER_BUSY' }))
    job.settle!({ ok: false, body: '-ERR USER_NOT_REGISTERED\n', jobUuid: 'j' })
    await tick()
    t.same(events.slice(1), [
      { type: 'leg-failed', legId: 'L1', cause: 'USER_BUSY' },
      { type: 'leg-failed', legId: 'L2', cause: 'USER_NOT_REGISTERED' },
    ])
  },
)

t.test(
  'play: file_string, our Event-UUID, prompt-finished on EXECUTE_COMPLETE; interrupted after stop-audio',
  async (t) => {
    const { adapter, events, sent } = setup()
    adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
    await adapter.execute({ type: 'play', callId: 'q1', files: ['a.wav', 'b.wav'], token: 't1' })
    const p1 = sent.at(-1)!
    t.equal(p1.arg, 'file_string://a.wav!b.wav')
    t.equal(events.length, 1, 'nothing until the playback ends')
    p1.settle!({ response: 'FILE PLAYED', event: ev({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE' }) })
    await tick()
    await adapter.execute({ type: 'play', callId: 'q1', files: ['c.wav'], token: 't2' })
    const p2 = sent.at(-1)!
    await adapter.execute({ type: 'stop-audio', callId: 'q1' })
    p2.settle!({ response: 'FILE PLAYED' })
    await tick()
    await adapter.execute({ type: 'play', callId: 'q1', files: ['d.wav'], token: 't3' })
    sent.at(-1)!.settle!({
      response: 'FILE PLAYED',
      event: ev({ 'Event-Name': 'CHANNEL_EXECUTE_COMPLETE', variable_playback_terminator_used: '#' }),
    })
    await tick()
    t.same(events.slice(1), [
      { type: 'prompt-finished', callId: 'q1', token: 't1', interrupted: false },
      { type: 'prompt-finished', callId: 'q1', token: 't2', interrupted: true },
      { type: 'prompt-finished', callId: 'q1', token: 't3', interrupted: true },
    ])
  },
)

t.test('hold music loops do not produce prompt-finished; DTMF on caller and leg', async (t) => {
  const { adapter, events, sent } = setup()
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
  await adapter.execute({ type: 'hold-music', callId: 'q1', source: 'moh.wav' })
  sent.at(-1)!.settle!({ response: 'FILE PLAYED' })
  await tick()
  adapter.handleEslEvent(ev({ 'Event-Name': 'DTMF', 'Unique-ID': 'q1', 'DTMF-Digit': '#' }))
  await adapter.execute({
    type: 'originate',
    callId: 'q1',
    offerId: 'o',
    timeoutSec: 1,
    callerIdName: 'x',
    callerIdNumber: '1',
    queueId: 'q',
    legs: [{ legId: 'L', agentId: 'a', dialString: 'd', confirm: true, whisper: false }],
  })
  adapter.handleEslEvent(ev({ 'Event-Name': 'DTMF', 'Unique-ID': 'L', 'DTMF-Digit': '1' }))
  t.same(events.slice(1), [
    { type: 'call-dtmf', callId: 'q1', digit: '#' },
    { type: 'leg-dtmf', legId: 'L', digit: '1' },
  ])
})

t.test('commands: hangup, transfer, hangup-leg, set-vars, record, answer', async (t) => {
  const { adapter, sent } = setup()
  await adapter.execute({ type: 'answer', callId: 'q1' })
  await adapter.execute({ type: 'pre-answer', callId: 'q1' })
  await adapter.execute({ type: 'hangup', callId: 'q1', cause: 'USER_BUSY' })
  await adapter.execute({ type: 'transfer', callId: 'q1', destination: '0701234567' })
  await adapter.execute({ type: 'hangup-leg', legId: 'L0', cause: 'ORIGINATOR_CANCEL' }) // unknown/ended leg: nothing sent
  await adapter.execute({
    type: 'originate',
    callId: 'q1',
    offerId: 'o',
    timeoutSec: 2,
    callerIdName: 'x',
    callerIdNumber: '1',
    queueId: 'q',
    legs: [{ legId: 'L1', agentId: 'a', dialString: 'user/1', confirm: false, whisper: false }],
  })
  sent.pop()
  await adapter.execute({ type: 'hangup-leg', legId: 'L1', cause: 'ORIGINATOR_CANCEL' })
  await adapter.execute({ type: 'set-vars', callId: 'q1', vars: { koplus_seq: '3', koplus_joined_at: '1000' } })
  await adapter.execute({ type: 'record', callId: 'q1', path: '/tmp/p.wav', maxSec: 60, silenceSec: 3, token: 'r' })
  t.same(
    sent.map(
      (s) =>
        s.command ??
        (s.kind === 'execute'
          ? `execute ${s.app} ${s.arg ?? ''}`.trim()
          : `${s.headers!['call-command']} ${s.headers!['hangup-cause']}`),
    ),
    [
      'execute answer',
      'execute pre_answer',
      'hangup USER_BUSY',
      // The forwarded caller's koplus variables are cleared first (journey-overflow.test.ts: forward to another queue).
      'uuid_setvar q1 koplus_queue',
      'uuid_setvar q1 koplus_seq',
      'uuid_setvar q1 koplus_joined_at',
      'uuid_setvar q1 koplus_announce',
      'uuid_transfer q1 0701234567 XML koplus',
      'uuid_kill L1 ORIGINATOR_CANCEL',
      'uuid_setvar q1 koplus_seq 3',
      'uuid_setvar q1 koplus_joined_at 1000',
      'uuid_setvar q1 playback_terminators #',
      'execute record /tmp/p.wav 60 200 3',
    ],
  )
})

t.test('a command on a gone channel becomes call-hungup once; a throwing port never escapes', async (t) => {
  const { adapter, events } = setup((cmd) => (cmd.startsWith('uuid_break') ? '-ERR No such channel!\n' : '+OK'))
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
  await adapter.execute({ type: 'stop-audio', callId: 'q1' })
  await adapter.execute({ type: 'stop-audio', callId: 'q1' })
  t.same(events.slice(1), [{ type: 'call-hungup', callId: 'q1', cause: 'NORMAL_CLEARING' }])
  const events2: CoreEvent[] = []
  const gone = new EslChannelGoneError('q2')
  const throwing = new FreeSwitchAdapter(
    {
      api: async () => {
        throw gone
      },
      bgapi: async () => {
        throw gone
      },
      execute: async () => {
        throw gone
      },
      sendmsg: async () => {
        throw gone
      },
    },
    (e) => events2.push(e),
  )
  throwing.handleEslEvent(park('q2', { koplus_queue: '5000' }))
  await t.resolves(throwing.execute({ type: 'answer', callId: 'q2' }))
  t.same(
    events2.map((e) => e.type),
    ['call-arrived', 'call-hungup'],
  )
})

t.test('registrations', async (t) => {
  const { adapter, events } = setup()
  adapter.handleEslEvent(
    ev({
      'Event-Name': 'CUSTOM',
      'Event-Subclass': 'sofia::register',
      username: '1000',
      realm: '127.0.0.2',
      expires: '60',
    }),
  )
  adapter.handleEslEvent(
    ev({
      'Event-Name': 'CUSTOM',
      'Event-Subclass': 'sofia::expire',
      username: '1000',
      realm: '127.0.0.2',
      expires: '1795629103',
    }),
  )
  t.same(events, [
    { type: 'registration', sipUser: '1000', domain: '127.0.0.2', registered: true },
    { type: 'registration', sipUser: '1000', domain: '127.0.0.2', registered: false },
  ])
  t.same(parseRegistrations('{"row_count":1,"rows":[{"reg_user":"1000","realm":"127.0.0.2","expires":"1"}]}'), [
    { sipUser: '1000', domain: '127.0.0.2' },
  ])
})

t.test(
  'restore: classify dumped channels; reconcile emits restored call-arrived and cancels orphan legs',
  async (t) => {
    t.same(parseShowChannels('{"row_count":0}'), [])
    t.same(parseShowChannels('{"row_count":1,"rows":[{"uuid":"q1"}]}'), ['q1'])
    const live = classifyChannels(
      [
        { 'Unique-ID': 'far', 'Answer-State': 'answered' },
        {
          'Unique-ID': 'q1',
          'Answer-State': 'answered',
          'Channel-State': 'CS_EXECUTE',
          variable_koplus_queue: '5000',
          variable_koplus_tenant: 'default',
          variable_koplus_joined_at: '1000',
          variable_koplus_seq: '7',
          'Caller-Caller-ID-Number': '155',
          'Caller-Caller-ID-Name': 'C',
        },
        {
          'Unique-ID': 'q2',
          'Answer-State': 'answered',
          'Channel-State': 'CS_EXCHANGE_MEDIA',
          variable_koplus_queue: '5000',
          variable_koplus_joined_at: '2000',
          variable_koplus_seq: '8',
          variable_bridge_uuid: 'L2',
        },
        {
          'Unique-ID': 'L2',
          'Answer-State': 'answered',
          variable_koplus_role: 'agent',
          variable_koplus_call: 'q2',
          variable_koplus_agent: 'a2',
          variable_origination_uuid: 'L2',
          variable_bridge_uuid: 'q2',
        },
        {
          'Unique-ID': 'L2b',
          'Answer-State': 'answered',
          variable_koplus_role: 'agent',
          variable_koplus_call: 'q2',
          variable_koplus_agent: 'a2',
          variable_origination_uuid: 'L2',
        },
        {
          'Unique-ID': 'L1',
          'Answer-State': 'ringing',
          variable_koplus_role: 'agent',
          variable_koplus_call: 'q1',
          variable_koplus_agent: 'a1',
          variable_origination_uuid: 'L1',
        },
      ],
      5000,
    )
    t.same([...live.calls.keys()], ['q1', 'q2'])
    t.same([...live.legs.keys()], ['L2', 'L1'])
    t.same(live.calls.get('q1')!.restored, { joinedAt: 1000, seq: 7, answered: true })
    t.same(live.calls.get('q2')!.restored.bridgedTo, { legId: 'L2', agentId: 'a2' })
    const { adapter, events, sent } = setup((cmd) => (cmd.startsWith('uuid_exists') ? 'false' : '+OK'))
    await adapter.reconcile(live)
    t.same(
      events.map((e) => e.type === 'calls-restored' && e.calls.map((c) => c.callId)),
      [['q1', 'q2']],
      'both restored callers in one calls-restored event',
    )
    t.same(
      sent.map((s) => s.command),
      ['uuid_kill L1 ORIGINATOR_CANCEL'],
    )
    // The bridged leg is tracked: its hang-up is a leg-hungup, then the caller's new park is call-parked-after-bridge.
    adapter.handleEslEvent(ev({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'L2', 'Hangup-Cause': 'NORMAL_CLEARING' }))
    adapter.handleEslEvent(park('q2', { koplus_queue: '5000' }))
    t.same(
      events.slice(1).map((e) => e.type),
      ['leg-hungup', 'call-parked-after-bridge'],
    )
    // A second reconcile where q1 is gone reports its hang-up.
    events.length = 0
    await adapter.reconcile({ calls: new Map([['q2', live.calls.get('q2')!]]), legs: new Map() })
    t.same(events, [{ type: 'call-hungup', callId: 'q1', cause: 'NORMAL_CLEARING' }])
  },
)

t.test('dial helpers', async (t) => {
  t.equal(originateValue("O'Brien, Pat"), "'O Brien Pat'")
  t.equal(playbackArgument(['a']), 'a')
  t.equal(jobFailureCause('-ERR SUBSCRIBER_ABSENT\n'), 'SUBSCRIBER_ABSENT')
  t.equal(jobFailureCause('+OK abc\n'), undefined)
  t.match(
    originateCommand({
      type: 'originate',
      callId: 'c',
      offerId: 'o',
      timeoutSec: 2,
      callerIdName: 'Q',
      callerIdNumber: '1',
      queueId: 'q',
      legs: [
        { legId: 'A', agentId: 'a', dialString: 'user/1', confirm: false, whisper: false },
        { legId: 'B', agentId: 'b', dialString: 'user/2', confirm: false, whisper: false },
      ],
    }),
    /\[origination_uuid=A,[^\]]*\]user\/1,\[origination_uuid=B,[^\]]*\]user\/2 &park\(\)$/,
  )
})
