/**
 * src/freeswitch/nodes: several FreeSWITCH nodes under one koplus — commands go to the node of their call, agents'
 * legs are originated from the caller's node (through the inter-node dial string when the phone is registered on
 * another node), registrations are kept per node, and a lost node ends only its own calls.
 */
import t from 'tap'
import type { CoreEvent } from '../../src/core/events.js'
import type { Command } from '../../src/core/commands.js'
import type { EslPort } from '../../src/freeswitch/adapter/port.js'
import { makeEvent } from '../../src/freeswitch/esl/event.js'
import { FreeSwitchNodes, NODE_LOST_CAUSE } from '../../src/freeswitch/nodes/nodes.js'
import { interNodeDial, parseUserDial } from '../../src/freeswitch/nodes/inter-node-dial.js'
import { VirtualClock } from '../../src/util/clock.js'

function fakePort(log: string[]): EslPort {
  return {
    async api(command) {
      log.push(`api ${command}`)
      return '+OK'
    },
    async bgapi(command) {
      log.push(`bgapi ${command}`)
      return { ok: true, body: '+OK' } as never
    },
    execute(uuid, app, arg) {
      log.push(`execute ${uuid} ${app} ${arg ?? ''}`)
      return new Promise(() => {})
    },
    async sendmsg(uuid, headers) {
      log.push(`sendmsg ${uuid} ${headers['call-command']}`)
      return '+OK'
    },
  }
}

function setup(lostAfterMs = 10_000) {
  const sentA: string[] = []
  const sentB: string[] = []
  const events: CoreEvent[] = []
  const clock = new VirtualClock()
  const nodes = new FreeSwitchNodes(
    [
      { id: 'a', sipAddress: '10.0.0.1', port: fakePort(sentA) },
      { id: 'b', sipAddress: '10.0.0.2:5060', port: fakePort(sentB) },
    ],
    (e) => events.push(e),
    { clock, lostAfterMs, interNodeDialString: 'sofia/internal/${target}@${nodeAddress};node=${node}' },
  )
  return { nodes, sentA, sentB, events, clock }
}

const park = (uuid: string, queue = '5000') =>
  makeEvent({
    'Event-Name': 'CHANNEL_PARK',
    'Unique-ID': uuid,
    'Caller-Caller-ID-Number': '4670',
    variable_koplus_queue: queue,
    variable_koplus_tenant: 'default',
  })
const register = (user: string, callId: string, sub = 'sofia::register') =>
  makeEvent({ 'Event-Name': 'CUSTOM', 'Event-Subclass': sub, username: user, realm: '127.0.0.2', 'call-id': callId })
const hangup = (uuid: string, cause = 'NORMAL_CLEARING') =>
  makeEvent({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': uuid, 'Hangup-Cause': cause })
const originate = (callId: string, dial: string, legId = 'leg-1'): Command => ({
  type: 'originate',
  callId,
  offerId: 'offer-1',
  legs: [{ legId, agentId: 'agent-1', dialString: dial, confirm: false, whisper: false }],
  timeoutSec: 20,
  callerIdName: 'Q',
  callerIdNumber: '4670',
  queueId: 'q',
})

t.test('inter-node dial strings: user/ dial strings are parsed, templates filled', async (t) => {
  t.same(parseUserDial('user/1001'), { target: '1001', domain: '' })
  t.same(parseUserDial('user/1001@acme.example'), { target: '1001', domain: 'acme.example' })
  t.equal(parseUserDial('sofia/gateway/pstn/0701234567'), undefined, 'a mobile is not a user/ dial string')
  t.equal(
    interNodeDial('sofia/internal/${target}@${nodeAddress}', {
      target: '1001',
      domain: 'd',
      nodeAddress: '10.0.0.2',
      node: 'b',
    }),
    'sofia/internal/1001@10.0.0.2',
  )
})

t.test('every command goes to the node its call arrived on', async (t) => {
  const { nodes, sentA, sentB, events } = setup()
  nodes.adapter('a').handleEslEvent(park('call-a'))
  nodes.adapter('b').handleEslEvent(park('call-b'))
  t.same(
    events.map((e) => e.type),
    ['call-arrived', 'call-arrived'],
  )
  t.equal(nodes.nodeOf('call-a'), 'a')
  t.equal(nodes.nodeOf('call-b'), 'b')
  await nodes.execute({ type: 'stop-audio', callId: 'call-b' })
  await nodes.execute({ type: 'hangup', callId: 'call-a', cause: 'USER_BUSY' })
  t.same(sentA, ['sendmsg call-a hangup'])
  t.same(sentB, ['api uuid_break call-b all'])
  await nodes.execute({ type: 'stop-audio', callId: 'nobody' })
  t.equal(sentA.length + sentB.length, 2, 'a command for a channel no node follows goes nowhere')
})

t.test(
  "an agent's leg is originated from the caller's node; a phone registered on the other node is dialled through it",
  async (t) => {
    const { nodes, sentA, sentB, events } = setup()
    nodes.adapter('a').handleEslEvent(park('call-a'))
    nodes.adapter('a').handleEslEvent(register('1000', 'c1'))
    nodes.adapter('b').handleEslEvent(register('1001', 'c2'))
    await nodes.execute(originate('call-a', 'user/1000', 'leg-local'))
    await nodes.execute(originate('call-a', 'user/1001', 'leg-remote'))
    await nodes.execute(originate('call-a', 'sofia/gateway/pstn/0701', 'leg-mobile'))
    await nodes.execute(originate('call-a', 'user/1002', 'leg-nowhere'))
    t.equal(sentB.length, 0, 'nothing goes to the node the phone is on')
    t.match(sentA[0], /\]user\/1000 &park\(\)$/, "registered on the caller's node: dialled as configured")
    t.match(
      sentA[1],
      /\[origination_uuid=leg-remote,[^\]]*\]sofia\/internal\/1001@10\.0\.0\.2:5060;node=b &park\(\)$/,
      'registered on node b: the inter-node dial string',
    )
    t.match(sentA[2], /\]sofia\/gateway\/pstn\/0701 &park\(\)$/, "a mobile goes out from the caller's node")
    t.match(sentA[3], /\]user\/1002 &park\(\)$/, 'registered nowhere: left alone (FreeSWITCH says USER_NOT_REGISTERED)')
    t.equal(nodes.nodeOf('leg-remote'), 'a', "the leg lives on the caller's node")
    // Node b sees our inter-node call to 1001's phone as a call that is not koplus's: not a private call.
    const phoneLeg = makeEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'b-phone', variable_dialed_user: '1001' })
    nodes.adapter('b').handleEslEvent(phoneLeg)
    t.same(
      events.filter((e) => e.type === 'device-busy'),
      [],
      'the phone on our own inter-node call is not reported busy',
    )
    nodes.adapter('a').handleEslEvent(makeEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'leg-remote' }))
    t.same(
      events.filter((e) => e.type === 'leg-answered'),
      [{ type: 'leg-answered', legId: 'leg-remote' }],
    )
    nodes.adapter('a').handleEslEvent(hangup('leg-remote'))
    nodes.adapter('b').handleEslEvent(hangup('b-phone'))
    t.same(
      events.filter((e) => e.type === 'device-busy'),
      [],
      'nor free again when it ends',
    )
    nodes
      .adapter('b')
      .handleEslEvent(
        makeEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'private', variable_dialed_user: '1001' }),
      )
    t.same(
      events.filter((e) => e.type === 'device-busy'),
      [{ type: 'device-busy', target: '1001', busy: true }],
      'a private call afterwards is',
    )
  },
)

t.test('registrations are kept per node: a user stays registered while any node holds them', async (t) => {
  const { nodes, events } = setup()
  nodes.adapter('a').handleEslEvent(register('1000', 'c1'))
  nodes.adapter('b').handleEslEvent(register('1000', 'c2'))
  nodes.adapter('a').handleEslEvent(register('1000', 'c1', 'sofia::unregister'))
  const regs = events.filter((e): e is Extract<CoreEvent, { type: 'registration' }> => e.type === 'registration')
  t.same(
    regs.map((r) => r.registered),
    [true, true],
    'unregistered on a, still on b: the core is not told unregistered',
  )
  nodes.adapter('b').handleEslEvent(register('1000', 'c2', 'sofia::expire'))
  t.same(
    events.filter((e) => e.type === 'registration').map((r) => (r as { registered: boolean }).registered),
    [true, true, false],
  )
  t.same(
    nodes.perNode().map((n) => n.registrations),
    [0, 0],
  )
})

t.test(
  'a node down past the grace time ends only its own calls and its registrations; back, it is reconciled',
  async (t) => {
    const { nodes, events, clock } = setup(10_000)
    nodes.adapter('a').handleEslEvent(park('call-a'))
    nodes.adapter('b').handleEslEvent(park('call-b'))
    nodes.adapter('a').handleEslEvent(register('1000', 'c1'))
    nodes.adapter('b').handleEslEvent(register('1001', 'c2'))
    await nodes.execute(originate('call-a', 'user/1001', 'leg-a'))
    events.length = 0
    nodes.nodeDown('a')
    clock.advance(9_999)
    t.same(events, [], 'within the grace time nothing is ended (a link blip leaves the calls alone)')
    nodes.nodeUp('a')
    clock.advance(60_000)
    t.same(events, [], 'the node came back in time')
    nodes.nodeDown('a')
    clock.advance(10_000)
    t.same(
      events,
      [
        { type: 'leg-failed', legId: 'leg-a', cause: NODE_LOST_CAUSE },
        { type: 'call-hungup', callId: 'call-a', cause: NODE_LOST_CAUSE },
        { type: 'registration', sipUser: '1000', domain: '127.0.0.2', registered: false },
      ],
      "node a's leg, call and phone are gone",
    )
    t.same(nodes.knownCalls(), ['call-b'], "node b's call goes on")
    t.same(
      nodes.perNode().map((n) => [n.id, n.lost, n.calls]),
      [
        ['a', true, 0],
        ['b', false, 1],
      ],
    )
    nodes.nodeUp('a')
    t.equal(nodes.perNode()[0].lost, false)
    events.length = 0
    nodes.adapter('a').handleEslEvent(park('call-a2'))
    t.same(
      events.map((e) => e.type),
      ['call-arrived'],
      'node a takes calls again',
    )
    nodes.adapter('b').handleEslEvent(hangup('call-b'))
    t.same(events.at(-1), { type: 'call-hungup', callId: 'call-b', cause: 'NORMAL_CLEARING' })
  },
)

t.test('one node behaves as the single adapter: a command for an unknown channel still goes to it', async (t) => {
  const sent: string[] = []
  const nodes = new FreeSwitchNodes([{ id: 'default', sipAddress: '127.0.0.1', port: fakePort(sent) }], () => {}, {
    clock: new VirtualClock(),
  })
  await nodes.execute({ type: 'hangup', callId: 'x', cause: 'NORMAL_CLEARING' })
  t.same(sent, ['sendmsg x hangup'])
  t.throws(() => new FreeSwitchNodes([], () => {}, { clock: new VirtualClock() }))
  t.throws(
    () =>
      new FreeSwitchNodes(
        [
          { id: 'a', sipAddress: 'x', port: fakePort([]) },
          { id: 'a', sipAddress: 'y', port: fakePort([]) },
        ],
        () => {},
        { clock: new VirtualClock() },
      ),
    /given twice/,
  )
})
