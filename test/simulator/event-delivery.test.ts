/**
 * mod_event_socket's delivery rule in the simulator (FreeSWITCH 1.10 mod_event_socket.c, read_packet): queued
 * events go out only when the listener thread wakes — from its 20 ms poll, or at once on any byte from the client;
 * a lone LF is read and dropped with no reply; after a command's reply the queue is flushed. Timers run on a
 * VirtualClock, so the 20 ms are exact and nothing here depends on the host's speed.
 */
import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { EventDelivery } from '../../src/simulator/event-delivery.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { RawEsl } from './capture-helpers.js'
import type { EslFrame } from '../../src/freeswitch/esl/parser.js'

t.test(
  'EventDelivery: an event queued while idle waits for the next 20 ms poll timeout after the last wake',
  async (t) => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1))
    const out: Array<[string, number]> = []
    let canFlush = true
    const d = new EventDelivery(
      clock,
      20,
      (b) => out.push([b.toString(), clock.now() - Date.UTC(2026, 0, 1)]),
      () => canFlush,
    )
    clock.advance(5)
    d.push(Buffer.from('a'))
    clock.advance(14)
    t.same(out, [], 'not sent at 19 ms')
    clock.advance(1)
    t.same(out, [['a', 20]], 'sent when the poll started at 0 times out (20 ms)')
    clock.advance(25) // t = 45: polls ended at 40 (nothing queued); the next ends at 60
    d.push(Buffer.from('b'))
    clock.advance(14)
    t.equal(out.length, 1, 'b not sent at 59 ms')
    clock.advance(1)
    t.same(out.at(-1), ['b', 60], 'b sent at 60 ms (polls keep their 20 ms rhythm)')
    d.push(Buffer.from('c'))
    clock.advance(3)
    d.wake() // a byte from the client
    t.same(out.at(-1), ['c', 63], 'a byte from the client sends c at once')
    d.push(Buffer.from('d'))
    clock.advance(19)
    t.equal(out.length, 3, 'the poll restarted at the wake (63): d not sent at 82')
    clock.advance(1)
    t.same(out.at(-1), ['d', 83])
    // A command partly received (or being run): nothing is flushed until it is done.
    canFlush = false
    d.push(Buffer.from('e'))
    clock.advance(100)
    t.equal(out.length, 4, 'no flush while a command is incomplete')
    canFlush = true
    d.wake()
    t.same(out.at(-1), ['e', 183], 'flushed when the command is answered')
    t.equal(d.queued, 0)
  },
)

t.test('EventDelivery with pollMs 0 writes at once (the unit-test switch)', async (t) => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1))
  const out: string[] = []
  const d = new EventDelivery(
    clock,
    0,
    (b) => out.push(b.toString()),
    () => false,
  )
  d.push(Buffer.from('x'))
  t.same(out, ['x'])
})

async function connected(pollMs: number) {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1))
  const sim = new FreeSwitchSimulator({ clock, eslPollMs: pollMs })
  const port = await sim.listen(0)
  const esl = new RawEsl(port)
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'auth/request')
  esl.socket.write('auth ClueCon\n\nevent plain HEARTBEAT\n\n')
  await esl.waitFrame((f) => f.headers['Reply-Text']?.startsWith('+OK event listener') === true)
  const heartbeat = () => sim.emit({ name: 'HEARTBEAT', headers: sim.baseHeaders('HEARTBEAT') })
  return { clock, sim, esl, heartbeat }
}

const kind = (f: EslFrame): string =>
  f.headers['Content-Type'] === 'text/event-plain'
    ? 'event'
    : f.headers['Content-Type'] === 'api/response'
      ? 'api'
      : (f.headers['Reply-Text'] ?? f.headers['Content-Type'] ?? '?')

t.test('over TCP: an event queued before a command goes out after that command’s reply', async (t) => {
  const { sim, esl, heartbeat } = await connected(20)
  t.teardown(() => sim.close())
  const from = esl.frames.length
  heartbeat()
  esl.socket.write('api status\n\n')
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'text/event-plain', from)
  t.same(
    esl.frames.slice(from).map(kind),
    ['api', 'event'],
    'read_packet reads the command before it flushes the queue',
  )
})

t.test('over TCP with the rule off: the same event goes out before the reply', async (t) => {
  const { sim, esl, heartbeat } = await connected(0)
  t.teardown(() => sim.close())
  const from = esl.frames.length
  heartbeat()
  esl.socket.write('api status\n\n')
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'api/response', from)
  t.same(esl.frames.slice(from).map(kind), ['event', 'api'])
})

t.test('over TCP: idle, the event waits for the poll timeout', async (t) => {
  const { clock, sim, esl, heartbeat } = await connected(20)
  t.teardown(() => sim.close())
  const from = esl.frames.length
  heartbeat()
  clock.advance(19)
  esl.socket.write('api status\n\n')
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'text/event-plain', from)
  t.same(esl.frames.slice(from).map(kind), ['api', 'event'], 'still queued after 19 ms: it follows the next reply')
  const from2 = esl.frames.length
  heartbeat()
  clock.advance(20)
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'text/event-plain', from2)
  t.equal(esl.frames.length - from2, 1, 'the poll timeout alone delivers it (no byte from the client)')
})

t.test('over TCP: a lone LF gets no reply, delivers the queued event at once and breaks nothing', async (t) => {
  const { sim, esl, heartbeat } = await connected(20)
  t.teardown(() => sim.close())
  const from = esl.frames.length
  heartbeat()
  esl.socket.write('\n')
  const ev = await esl.waitFrame((f) => f.headers['Content-Type'] === 'text/event-plain', from)
  t.match(ev.body?.toString(), /^Event-Name: HEARTBEAT\n/)
  // LFs before, between and after commands, and a command split around them.
  esl.socket.write('\n\napi status\n\n\n')
  esl.socket.write('\napi ver')
  esl.socket.write('sion\n\n\n')
  await esl.waitFrame(
    (f) => f.headers['Content-Type'] === 'api/response' && (f.body?.toString() ?? '').includes('FreeSWITCH Version'),
    from,
  )
  t.same(
    esl.frames.slice(from).map(kind),
    ['event', 'api', 'api'],
    'only the event and the two api replies: no reply to any LF',
  )
})
