/**
 * The virtual time of the in-process integration tests (test/helpers/virtual-time.ts): time passes only when no
 * byte is in flight between in-process sockets, timer by timer, and exactly as far as the awaited condition needs.
 */
import t, { type Test } from 'tap'
import net, { type AddressInfo, type Socket } from 'node:net'
import { VirtualClock } from '../../src/util/clock.js'
import { VirtualTime, bytesInFlight } from '../helpers/virtual-time.js'

/** A loopback server and a client connected to it; `onData` gets what the server side reads. */
async function pair(
  t: Test,
  onData: (server: Socket, d: Buffer) => void = () => undefined,
): Promise<{ client: Socket; server: Socket }> {
  const srv = net.createServer()
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())))
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const accepted = new Promise<Socket>((resolve) => srv.once('connection', resolve))
  const client = net.connect((srv.address() as AddressInfo).port, '127.0.0.1')
  await new Promise<void>((r) => client.once('connect', () => r()))
  const server = await accepted
  server.on('data', (d) => onData(server, d))
  t.teardown(() => (client.destroy(), server.destroy()))
  return { client, server }
}

t.test('settle waits until the peer has read every byte written', async (t) => {
  const time = new VirtualTime()
  const { client, server } = await pair(t)
  server.pause()
  client.write('x'.repeat(1000))
  await time.settle(200).then(
    () => t.fail('settled with bytes unread'),
    (err: Error) =>
      t.match(
        err.message,
        /bytes still in flight after 200 ms: .*1000 bytes/,
        'not settled while the peer does not read',
      ),
  )
  server.resume()
  await time.settle()
  t.same(bytesInFlight(), [], 'settled once the peer has read them')
})

t.test('until lets time pass timer by timer, only as far as the condition needs', async (t) => {
  const time = new VirtualTime(Date.UTC(2026, 0, 1))
  const start = time.now()
  let fired = ''
  time.clock.setTimeout(() => (fired += 'a'), 20_000)
  time.clock.setTimeout(() => (fired += 'b'), 30_000)
  await time.until(() => fired.includes('a'), 'timer a')
  t.equal(time.now() - start, 20_000, 'stopped at the instant the condition became true')
  t.equal(fired, 'a', 'the later timer has not fired')
  await time.advance(10_000)
  t.equal(fired, 'ab', 'advance fires what falls due in the window')
  t.equal(time.now() - start, 30_000)
})

t.test('a reaction to I/O is carried out before time moves on', async (t) => {
  const time = new VirtualTime(Date.UTC(2026, 0, 1))
  const start = time.now()
  let answeredAt = 0
  // The "switch": on a request it answers 5 s later (on the shared clock); the "daemon" notes when the answer came.
  const { client } = await pair(t, (server) => {
    time.clock.setTimeout(() => server.write('answer'), 5000)
  })
  client.on('data', () => (answeredAt = time.now()))
  time.clock.setTimeout(() => client.write('request'), 20_000)
  time.clock.setTimeout(() => undefined, 22_000) // an unrelated timer, earlier than the answer would be without I/O settling
  await time.until(() => answeredAt > 0, 'the answer')
  t.equal(answeredAt - start, 25_000, 'request at 20 s, the switch armed its 5 s only after reading it: answer at 25 s')
})

t.test('a virtual time-out names the condition and the time that passed', async (t) => {
  const time = new VirtualTime(Date.UTC(2026, 0, 1))
  time.clock.setTimeout(() => undefined, 500)
  time.clock.setTimeout(() => undefined, 5000)
  await t.rejects(
    time.until(() => false, 'never', { maxMs: 1000, realTimeoutMs: 20 }),
    /timed out waiting for never \(500 ms of virtual time, limit 1000 ms; next timer at \+5000 ms\)/,
  )
})

t.test('run lets time pass until the promise settles, and passes its rejection on', async (t) => {
  const time = new VirtualTime(Date.UTC(2026, 0, 1))
  const start = time.now()
  const later = new Promise<string>((resolve) => time.clock.setTimeout(() => resolve('done'), 3000))
  t.equal(await time.run(later), 'done')
  t.equal(time.now() - start, 3000)
  const failing = new Promise<string>((_, reject) => time.clock.setTimeout(() => reject(new Error('no')), 1000))
  await t.rejects(time.run(failing), /no/)
})

t.test('VirtualClock: a timer that re-arms itself for now is an error, not an endless loop', async (t) => {
  const clock = new VirtualClock(0)
  const again = (): void => void clock.setTimeout(again, 0)
  clock.setTimeout(again, 10)
  t.throws(() => clock.advance(100), /timers fired at 1970-01-01T00:00:00.010Z without time moving/)
  const ok = new VirtualClock(0)
  let n = 0
  const tick = (): void => void (++n < 1000 && ok.setTimeout(tick, 1))
  ok.setTimeout(tick, 1)
  ok.advance(2000)
  t.equal(n, 1000, 'a timer re-armed for a later instant runs as often as it should')
})
