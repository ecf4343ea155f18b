/** Several simulated FreeSWITCH nodes on one SIP network (src/simulator/sip-network.ts), on a virtual clock. */
import t from 'tap'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { SipNetwork } from '../../src/simulator/sip-network.js'
import { VirtualClock } from '../../src/util/clock.js'

function twoNodes() {
  const clock = new VirtualClock()
  const network = new SipNetwork()
  const a = new FreeSwitchSimulator({ clock, sipNetwork: network, sipAddress: '10.0.0.1' })
  const b = new FreeSwitchSimulator({ clock, sipNetwork: network, sipAddress: '10.0.0.2:5080' })
  const eventsB: string[] = []
  b.onEvent((e) => {
    if (e.name.startsWith('CHANNEL_')) eventsB.push(e.name)
  })
  return { clock, network, a, b, eventsB }
}
const originate = (sim: FreeSwitchSimulator, arg: string) =>
  new Promise<string>((resolve) => sim.originate(arg, resolve))
const flush = () => new Promise((r) => setImmediate(r))

t.test(
  "a phone registered on node b answers a leg node a dials at b's address; a hang-up crosses the nodes",
  async (t) => {
    const { clock, a, b, eventsB } = twoNodes()
    b.endpoint('1001', { registered: true, answerAfterMs: 500 })
    const result = originate(
      a,
      '{origination_uuid=leg-1,originate_timeout=20}sofia/internal/1001@10.0.0.2:5080 &park()',
    )
    await flush()
    t.same(
      eventsB.slice(0, 2),
      ['CHANNEL_CREATE', 'CHANNEL_CREATE'],
      'node b: the inbound INVITE and the leg to the phone',
    )
    const phone = b.channels().find((c) => c.variables.get('dialed_user') === '1001')!
    t.ok(phone, 'node b dials its registered user')
    t.equal(a.channel('leg-1')?.answered, false, 'not answered while the phone rings')
    clock.advance(500)
    t.equal(await result, '+OK leg-1\n', 'the originate on node a wins when the phone answers')
    t.equal(a.channel('leg-1')?.answered, true)
    t.equal(b.channels().filter((c) => c.answered).length, 2, 'both channels on node b are up')
    b.hangup(phone, 'NORMAL_CLEARING')
    t.equal(a.channel('leg-1'), undefined, "the phone hanging up on node b ends node a's leg")
    t.equal(b.channels().length, 0)
  },
)

t.test(
  'refused across the nodes: not registered → NO_USER_RESPONSE (SIP 480), unknown → UNALLOCATED_NUMBER (404); a closed node is unreachable',
  async (t) => {
    const { a, b, network } = twoNodes()
    b.endpoint('1002', { registered: false })
    t.equal(
      await originate(a, '{origination_uuid=leg-2}sofia/internal/1002@10.0.0.2:5080 &park()'),
      '-ERR NO_USER_RESPONSE\n',
    )
    t.equal(
      await originate(a, '{origination_uuid=leg-3}sofia/internal/7777@10.0.0.2:5080 &park()'),
      '-ERR UNALLOCATED_NUMBER\n',
    )
    t.equal(network.at('10.0.0.2:5080'), b)
    t.equal(network.at('10.0.0.1:5060'), a, 'port 5060 is the default')
    await b.close()
    t.equal(network.at('10.0.0.2:5080'), undefined, 'a closed node leaves the network')
  },
)
