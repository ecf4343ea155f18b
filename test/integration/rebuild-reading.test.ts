/**
 * Reading FreeSWITCH's channels while calls go on (src/daemon/freeswitch-link.ts: the rebuild and its second look).
 *
 * - `show channels` lags new channels by up to a second (capture inbound-introspection), so a caller who parked just
 *   before the rebuild — while no daemon listened — is found only by a second reading 1.5 s later.
 * - That look must not hold new callers while the store is slow: on PostgreSQL under load the write queue is long,
 *   and holding every arrival until the look's store read came through cost callers seconds.
 * - A reading is a snapshot: a channel listed in it may hang up before it is reconciled (the store read in between
 *   waits for the write queue). Such a caller must not be restored: under load the second look restored 282 callers
 *   who had already hung up and rang agents for them, each ring failing and pausing its agent.
 *
 * Both were found with `BENCH_STORE=postgres npm run bench -- load` (issue 12: caller parked → answer p90 3.2 s).
 * In-process daemon and simulator on one virtual clock (test/helpers/virtual-time.ts); the store's write queue is
 * held by a job of the test, the way a busy PostgreSQL holds it.
 */
import t, { type Test } from 'tap'
import pino from 'pino'
import { rmSync } from 'node:fs'
import type { CoreEvent } from '../../src/core/events.js'
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js'
import { SHOW_CHANNELS_LAG_MS } from '../../src/daemon/freeswitch-link.js'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { seedFirstCall } from '../helpers/first-call-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

interface Rig {
  time: VirtualTime
  sim: FreeSwitchSimulator
  /** Starts a daemon; with connect false it does not connect until daemon.connectFreeSwitch(). */
  start(connect?: boolean): Promise<Daemon>
  /** Holds the daemon's store write queue until the returned function is called (at the latest when the test ends). */
  holdStore(daemon: Daemon): () => void
}

async function rig(t: Test, showChannelsLagMs: number): Promise<Rig> {
  const time = new VirtualTime()
  const seeded = await seedFirstCall(time.now())
  const sim = new FreeSwitchSimulator({ sipDomain: 'default', clock: time.clock, showChannelsLagMs })
  const port = await sim.listen(0, '127.0.0.1')
  sim.endpoint('1001', { registered: true, neverAnswer: true })
  sim.endpoint('1002', { registered: true, neverAnswer: true })
  const daemons: Daemon[] = []
  const releases: (() => void)[] = []
  t.teardown(async () => {
    for (const r of releases) r()
    for (const d of daemons) await d.stop()
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })
  return {
    time,
    sim,
    async start(connect = true) {
      const d = await startDaemon(
        { databasePath: seeded.dbPath, freeswitch: { host: '127.0.0.1', port, password: 'ClueCon' } },
        { clock: time.clock, logger: pino({ level: 'silent' }), connect },
      )
      daemons.push(d)
      if (connect) await d.whenRebuilt()
      return d
    },
    holdStore(daemon) {
      let release = (): void => undefined
      const held = new Promise<void>((r) => (release = r))
      daemon.store.writes.enqueue('test: a busy store', () => held)
      releases.push(release)
      return release
    },
  }
}

/** The callers the engine was told arrived (new or restored). */
const arrivals = (seen: readonly CoreEvent[]): string[] =>
  seen.flatMap((e) =>
    e.type === 'call-arrived' ? [e.callId] : e.type === 'calls-restored' ? e.calls.map((c) => c.callId) : [],
  )

t.test('a caller who parks during the second look is answered while the store is busy', async (t) => {
  const { time, sim, start, holdStore } = await rig(t, 0)
  const daemon = await start()
  const first = sim.placeCall({ to: '5000', from: '0701111111' })
  await time.run(first.waitForState('answered', 2000), 'the first caller answered')

  const release = holdStore(daemon)
  // The second look falls due; the caller parks right after it began.
  await time.advance(SHOW_CHANNELS_LAG_MS)
  const second = sim.placeCall({ to: '5000', from: '0702222222' })
  await time.run(second.waitForState('answered', 2000), 'the second caller answered')
  t.equal(second.state, 'answered', 'answered with the store still held')
  t.ok(
    second.heard().some((h) => /moh/.test(h.file)),
    'and hears the music on hold',
  )

  release()
  await time.until(async () => (await daemon.store.calls.find(second.uuid)) !== undefined, 'second record written')
  t.equal((await daemon.store.calls.find(first.uuid))?.callerNumber, '0701111111', 'the first caller recorded')
  t.equal((await daemon.store.calls.find(second.uuid))?.callerNumber, '0702222222', 'the second caller recorded')
})

t.test('a caller FreeSWITCH had not listed at the rebuild is found by the second look', async (t) => {
  const { time, sim, start } = await rig(t, 1000)
  // Parks while no daemon listens: its CHANNEL_PARK reaches nobody, and `show channels` lists it only 1 s later.
  const early = sim.placeCall({ to: '5000', from: '0703333333' })
  await time.settle()
  const daemon = await start()
  t.equal(daemon.status().queues[0].waiting, 0, 'the rebuild did not see it')
  const later = sim.placeCall({ to: '5000', from: '0704444444' })
  await time.run(later.waitForState('answered', 1000), 'the later caller answered')
  t.equal(early.state, 'parked', 'the early caller is still unanswered before the second look')

  await time.run(early.waitForState('answered', SHOW_CHANNELS_LAG_MS + 1000), 'the early caller answered')
  t.ok(
    early.heard().some((h) => /moh/.test(h.file)),
    'found by the second look: answered, with music on hold',
  )
  t.equal(daemon.status().queues[0].waiting, 2, 'both wait')
  await time.until(async () => (await daemon.store.calls.find(early.uuid)) !== undefined, 'its record written')
})

t.test('a caller who hangs up while the second look reads the store is not restored', async (t) => {
  const { time, sim, start, holdStore } = await rig(t, 1000)
  // One caller FreeSWITCH does not list at the rebuild, so the second look has something to reconcile.
  const early = sim.placeCall({ to: '5000', from: '0705555555' })
  await time.settle()
  const daemon = await start()
  const seen: CoreEvent[] = []
  daemon.onHandled((e) => seen.push(e))
  const known = sim.placeCall({ to: '5000', from: '0706666666' })
  await time.run(known.waitForState('answered', 1000), 'the known caller answered')

  const release = holdStore(daemon)
  await time.advance(SHOW_CHANNELS_LAG_MS)
  // The look has read FreeSWITCH (both callers listed) and waits for the store behind the held job.
  await time.until(() => daemon.store.writes.health().queued >= 2, 'the second look waiting for the store')
  known.hangup()
  await time.until(() => seen.some((e) => e.type === 'call-hungup' && e.callId === known.uuid), 'its hang-up seen')
  const before = arrivals(seen).length
  release()
  await time.run(early.waitForState('answered', 2000), 'the early caller found and answered')

  t.same(arrivals(seen).slice(before), [early.uuid], 'only the caller not seen before is restored')
  t.equal(daemon.status().queues[0].waiting, 1, 'one caller waits')
  const rec = await time.until(async () => {
    const r = await daemon.store.calls.find(known.uuid)
    return r?.endedAt != null ? r : undefined
  }, 'the known caller’s record closed')
  t.equal(rec.outcome, 'abandoned', 'and closed as abandoned')
})

t.test('a caller who hangs up while a restart rebuild reads the store is not restored', async (t) => {
  const { time, sim, start, holdStore } = await rig(t, 0)
  let daemon = await start()
  const gone = sim.placeCall({ to: '5000', from: '0707777777' })
  const stays = sim.placeCall({ to: '5000', from: '0708888888' })
  await time.run(gone.waitForState('answered', 1000), 'first caller answered')
  await time.run(stays.waitForState('answered', 1000), 'second caller answered')
  await daemon.stop()

  daemon = await start(false)
  const seen: CoreEvent[] = []
  daemon.onHandled((e) => seen.push(e))
  const release = holdStore(daemon)
  daemon.connectFreeSwitch()
  // The rebuild has read both callers from FreeSWITCH and waits for the store behind the held job.
  await time.realUntil(() => daemon.store.writes.health().queued >= 2, 'the rebuild waiting for the store')
  gone.hangup()
  await time.settle()
  release()
  await daemon.whenRebuilt()
  await time.settle()

  t.same(arrivals(seen), [stays.uuid], 'only the caller still there is restored')
  t.equal(daemon.status().queues[0].waiting, 1, 'one caller waits')
  t.equal(stays.state, 'answered', 'who keeps waiting')
})
