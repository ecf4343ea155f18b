/**
 * Issue 12 part 3, several FreeSWITCH nodes under one koplus: the real daemon (in process) against two simulated
 * FreeSWITCH nodes over TCP on one simulated SIP network. Calls are handled on the node they arrived on; an agent
 * whose phone is registered on the other node is reached through the inter-node dial string; node A dies and only
 * its calls end while node B's go on; node A comes back and is reconciled.
 */
import t from 'tap'
import pino from 'pino'
import { rmSync } from 'node:fs'
import { startDaemon } from '../../src/daemon/daemon.js'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { SipNetwork } from '../../src/simulator/sip-network.js'
import { seedAgents, until } from '../helpers/agents-fixture.js'

const seeded = await seedAgents({
  queues: [{ number: '5970', name: 'Nodes', settings: { wrapUpSec: 0 } }],
  agents: [
    { extension: '9701', memberOf: ['5970'], loggedIn: ['5970'], loggedInAgoMs: 100_000 },
    { extension: '9702', memberOf: ['5970'], loggedIn: ['5970'], loggedInAgoMs: 400_000 },
  ],
})
const network = new SipNetwork()
function node(address: string, phone: string): FreeSwitchSimulator {
  const sim = new FreeSwitchSimulator({ sipDomain: 'default', sipNetwork: network, sipAddress: address })
  sim.endpoint(phone, { registered: true, answerAfterMs: 50 })
  return sim
}
let simA = node('10.9.0.1', '9701') // agent 9701's phone is registered on node A
const simB = node('10.9.0.2:5080', '9702') // agent 9702's phone on node B
const portA = await simA.listen(0, '127.0.0.1')
const portB = await simB.listen(0, '127.0.0.1')
const daemon = await startDaemon(
  {
    databasePath: seeded.dbPath,
    recordingsDir: seeded.recordingsDir,
    freeswitch: {
      host: 'unused',
      port: 1,
      password: 'unused',
      nodes: [
        { id: 'a', host: '127.0.0.1', port: portA, password: 'ClueCon', sipAddress: '10.9.0.1' },
        { id: 'b', host: '127.0.0.1', port: portB, password: 'ClueCon', sipAddress: '10.9.0.2:5080' },
      ],
      interNodeDialString: 'sofia/internal/${target}@${nodeAddress}',
      nodeLostAfterMs: 400,
      reconnect: { initialMs: 50, maxMs: 200 },
    },
  },
  { logger: pino({ level: process.env.KOPLUS_IT_LOG ?? 'silent' }, pino.destination(2)) },
)
t.teardown(async () => {
  await daemon.stop()
  await simA.close()
  await simB.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})
await daemon.whenRebuilt()
const agent = (ext: string) => daemon.status().agents.find((a) => a.agentId === seeded.agentIds.get(ext))!
const waiting = () => daemon.status().queues[0].waiting
const nodeState = (id: string) => daemon.freeswitch.nodes!.find((n) => n.id === id)!
const offersOf = (sim: FreeSwitchSimulator, callId: string) =>
  sim.originates.filter((o) => o.arg.includes(`koplus_call=${callId}`)).map((o) => o.arg)
const setPaused = (ext: string, paused: boolean) =>
  daemon.dispatch({ type: 'agent-pause', agentId: seeded.agentIds.get(ext)!, paused, source: 'api' })

await t.test('both nodes connected; registrations kept per node', async (t) => {
  await until(() => agent('9701').registered && agent('9702').registered, 3000, 'both phones registered')
  t.same(
    daemon.freeswitch.nodes!.map((n) => [n.id, n.connected, n.registrations]),
    [
      ['a', true, 1],
      ['b', true, 1],
    ],
  )
  t.equal(daemon.freeswitch.connected, true)
})

await t.test(
  'an agent whose phone is on node B answers a caller on node A through the inter-node dial string (and back)',
  async (t) => {
    const onA = simA.placeCall({ to: '5970', from: '0701000001' })
    await onA.waitForState('bridged', 5000)
    t.equal(agent('9702').callId, onA.uuid, 'the longest idle agent, 9702 (phone on node B), took the caller on node A')
    const offers = offersOf(simA, onA.uuid)
    t.equal(offers.length, 1, "the agent's leg was originated from the caller's node")
    t.match(offers[0], /\]sofia\/internal\/9702@10\.9\.0\.2:5080 &park\(\)$/, 'through the inter-node dial string')
    t.same(offersOf(simB, onA.uuid), [], 'node B received no command for the call')
    t.ok(
      simB.channels().some((c) => c.variables.get('dialed_user') === '9702' && c.answered),
      "node B rang and connected 9702's phone",
    )
    t.equal(
      agent('9702').deviceBusy,
      false,
      "node B's view of the call (a SIP call in, bridged to the phone) is not taken for a private call",
    )

    const onB = simB.placeCall({ to: '5970', from: '0701000002' })
    await onB.waitForState('bridged', 5000)
    t.equal(agent('9701').callId, onB.uuid, 'agent 9701 (phone on node A) took the caller on node B')
    t.match(offersOf(simB, onB.uuid)[0], /\]sofia\/internal\/9701@10\.9\.0\.1 &park\(\)$/)
    t.same(offersOf(simA, onB.uuid), [])
    t.same(
      daemon.freeswitch.nodes!.map((n) => n.calls),
      [1, 1],
      'one call handled on each node',
    )
    onA.hangup()
    onB.hangup()
    await until(() => agent('9701').state === 'free' && agent('9702').state === 'free', 3000, 'both agents free again')
  },
)

await t.test(
  "node A dies: only its calls end, node B's go on, and 9701 (registered only on A) is unavailable",
  async (t) => {
    setPaused('9702', true)
    const onA = simA.placeCall({ to: '5970', from: '0702000001' })
    await onA.waitForState('bridged', 5000)
    t.equal(agent('9701').callId, onA.uuid)
    setPaused('9702', false)
    const onB = simB.placeCall({ to: '5970', from: '0702000002' })
    await onB.waitForState('bridged', 5000)
    t.equal(agent('9702').callId, onB.uuid, "node B's caller is with 9702, whose phone is on node B")
    const waitingOnA = simA.placeCall({ to: '5970', from: '0702000003' })
    await until(() => waiting() === 1, 3000, 'a caller waits on node A')

    // The node dies: its Event Socket closes, its calls are gone with it, it answers no SIP.
    await simA.close()
    for (const ch of simA.channels()) simA.hangup(ch, 'NORMAL_CLEARING')
    await until(() => !nodeState('a').connected, 3000, 'the link to node A is down')
    await until(() => nodeState('a').lost, 3000, 'node A taken as lost after freeswitch.nodeLostSeconds')
    t.equal(waiting(), 0, "node A's waiting caller is gone from the queue")
    t.equal(agent('9701').callId, undefined, "9701's call on node A ended")
    t.equal(agent('9701').registered, false, '9701, registered only on node A, is unavailable')
    t.equal(agent('9702').callId, onB.uuid, "node B's call goes on")
    t.equal(onB.state, 'bridged')
    t.equal(nodeState('b').connected, true)
    t.equal(daemon.freeswitch.connected, false, 'not every node is connected')
    t.match(daemon.freeswitch.lastError ?? '', /^a: /, 'the error names the node')
    void waitingOnA

    const next = simB.placeCall({ to: '5970', from: '0702000004' })
    await until(() => waiting() === 1, 3000, 'a new caller waits on node B (9701 is unreachable)')
    t.same(offersOf(simB, next.uuid), [], 'no offer to the unreachable agent')
    onB.hangup()
    await next.waitForState('bridged', 5000)
    t.equal(agent('9702').callId, next.uuid, 'node B serves its callers with the agent it can reach')
    next.hangup()
    await until(() => agent('9702').state === 'free', 3000, '9702 free again')
  },
)

await t.test('node A comes back: reconnected, reconciled, its phone registered again, it takes calls', async (t) => {
  simA = node('10.9.0.1', '9701')
  // A caller already parked on the restarted node before the daemon reconnects: found by the rebuild.
  const early = simA.placeCall({ to: '5970', from: '0703000001' })
  await simA.listen(portA, '127.0.0.1')
  await until(() => nodeState('a').connected && !nodeState('a').lost, 5000, 'node A reconnected')
  await daemon.whenRebuilt()
  await until(() => agent('9701').registered, 3000, "9701's registration read back from node A")
  t.equal(agent('9701').registered, true, '9701 registered again')
  await early.waitForState('bridged', 5000)
  t.ok(
    [agent('9701').callId, agent('9702').callId].includes(early.uuid),
    'the caller parked on node A while it was not watched is served',
  )
  t.same(offersOf(simB, early.uuid), [], "commands for node A's call go to node A")
  early.hangup()
  await until(() => agent('9701').state === 'free' && agent('9702').state === 'free', 3000, 'both agents free')
})
