/**
 * EslClient against the simulator with FreeSWITCH's delivery rule on (eslPollMs 20), timers on one VirtualClock:
 * the client's LF wake-ups bring a queued event at once while a channel is up and stop when nothing is live; events
 * outside the subscription are skipped undecoded without breaking the framing of what follows.
 */
import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { EslClient, type EslEvent } from '../../src/freeswitch/esl/index.js'
import { SwitchWaker } from '../../src/freeswitch/esl/wakeups.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'

const START = Date.UTC(2026, 0, 1)

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return
    await new Promise<void>((r) => setTimeout(r, 1))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('SwitchWaker: ticks every interval while a channel is up or recently active, silent when quiet', async (t) => {
  const clock = new VirtualClock(START)
  let sent = 0
  const w = new SwitchWaker(clock, { intervalMs: 4, hotMs: 100 }, () => {
    sent++
    return true
  })
  w.start()
  clock.advance(1000)
  t.equal(sent, 0, 'nothing live: no byte')
  t.notOk(w.ticking, 'and no timer')
  w.onEvent('CHANNEL_PARK', 'a')
  clock.advance(40)
  t.equal(sent, 10, 'a channel up: one LF every 4 ms')
  clock.advance(2)
  w.wroteCommand() // t = 42; the tick due at 44 is skipped
  clock.advance(3)
  t.equal(sent, 10, 'a command written counts as a wake-up: no LF at 44')
  clock.advance(1)
  t.equal(sent, 11, 'the next LF 4 ms after the command (46)')
  w.onEvent('CHANNEL_HANGUP', 'a')
  w.onEvent('CHANNEL_EXECUTE_COMPLETE', 'a')
  t.equal(w.liveChannels, 0, 'events after the hang-up do not bring the channel back')
  clock.advance(100)
  const atQuiet = sent
  t.ok(atQuiet >= 11 + 20, 'still ticking for hotMs after the last channel event')
  clock.advance(10_000)
  t.ok(sent - atQuiet <= 1, 'quiet: no more bytes')
  t.notOk(w.ticking)
  w.wroteCommand(false)
  clock.advance(100)
  t.ok(sent - atQuiet <= 1, 'the idle probe does not wake the tick')
  w.onEvent('CHANNEL_PARK', 'b')
  w.stop()
  clock.advance(100)
  t.ok(sent - atQuiet <= 1, 'stopped (disconnected): no bytes, live channels forgotten')
  t.equal(w.liveChannels, 0)
})

async function rig(t: { teardown: (fn: () => unknown) => void }, opts: { events?: string[]; intervalMs?: number }) {
  const clock = new VirtualClock(START)
  const sim = new FreeSwitchSimulator({ clock, eslPollMs: 20, dialplan: { queueNumbers: ['5000'] } })
  const port = await sim.listen(0)
  const client = new EslClient({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    clock,
    idleProbeMs: 0,
    events: opts.events ?? ['ALL'],
    wakeups: { intervalMs: opts.intervalMs ?? 4 },
  })
  const events: EslEvent[] = []
  client.on('event', (e) => events.push(e))
  t.teardown(async () => {
    await client.close().catch(() => undefined)
    await sim.close()
  })
  await client.connect()
  return { clock, sim, client, events }
}

t.test('with a channel up, a queued event arrives on the next wake-up tick, not the 20 ms poll', async (t) => {
  const { clock, sim, client, events } = await rig(t, { events: ['CHANNEL_PARK', 'CHANNEL_HANGUP', 'HEARTBEAT'] })
  sim.placeCall({ to: '5000', from: '46700000001' })
  clock.advance(20) // the caller's events go out on the poll timeout: nothing was live before
  await until(() => events.some((e) => e.name === 'CHANNEL_PARK'), 'the park')
  t.equal(client.wakeups.liveChannels, 1, 'the client knows a channel is up')
  t.ok(client.wakeups.ticking, 'and ticks')
  const n = events.length
  sim.emit({ name: 'HEARTBEAT', headers: sim.baseHeaders('HEARTBEAT') })
  clock.advance(4) // one tick: the LF goes out and the simulator flushes on receiving it
  await until(() => events.length > n, 'the event after a tick')
  t.equal(events.at(-1)?.name, 'HEARTBEAT', 'delivered by the LF, 4 ms in, before the 20 ms poll would have')
  t.ok(client.wakeups.sent >= 1, `${client.wakeups.sent} LF sent`)
})

t.test('wake-ups off: the same event waits for the 20 ms poll', async (t) => {
  const { clock, sim, client, events } = await rig(t, { events: ['CHANNEL_PARK', 'HEARTBEAT'], intervalMs: 0 })
  sim.placeCall({ to: '5000', from: '46700000001' })
  clock.advance(20)
  await until(() => events.some((e) => e.name === 'CHANNEL_PARK'), 'the park')
  const n = events.length
  sim.emit({ name: 'HEARTBEAT', headers: sim.baseHeaders('HEARTBEAT') })
  clock.advance(4)
  // A command round trip proves nothing was sent during those 4 ms: the event comes after the reply.
  await client.api('status')
  t.equal(events.length, n + 1, 'the event came with the command’s flush')
  t.equal(client.wakeups.sent, 0, 'no LF written')
})

t.test(
  'events outside a named subscription are skipped undecoded; replies and wanted events after them intact',
  async (t) => {
    const { sim, client, events } = await rig(t, { events: ['CHANNEL_PARK'] })
    // Beside the subscription, force unwanted events onto the wire: a second `event` line adds names the client
    // did not ask for (as another user of the connection might).
    await client.command('event json HEARTBEAT CODEC')
    sim.emit({ name: 'HEARTBEAT', headers: sim.baseHeaders('HEARTBEAT') })
    sim.emit({ name: 'CODEC', headers: sim.baseHeaders('CODEC') })
    sim.placeCall({ to: '5000', from: '46700000002' })
    const status = await client.api('status')
    t.match(status, /UP /, 'the reply after the skipped events is whole')
    await until(() => events.some((e) => e.name === 'CHANNEL_PARK'), 'the park')
    t.equal(client.skippedEvents, 2, 'HEARTBEAT and CODEC skipped')
    t.notOk(
      events.some((e) => e.name === 'HEARTBEAT' || e.name === 'CODEC'),
      'and not emitted',
    )
  },
)
