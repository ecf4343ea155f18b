/**
 * `koplus daemon --simulate`: the real daemon against the in-process FreeSWITCH simulator (over TCP on loopback),
 * with a small demo call centre in an in-memory database and generated traffic, so a newcomer sees calls flow
 * without FreeSWITCH. Everything the daemon does is in its log; the simulated world logs as `sim`.
 *
 * Demo: tenant "default"; queue 5000 "Support" (longest idle) with agents 1001, 1002, 1003; queue 5001 "Sales"
 * (parallel ringing of 2) with 1002, 1003, 1004; all four logged in. Simulated agents answer after 2–6 s (one in
 * ten does not answer), talk 8–25 s and hang up. A caller arrives every 3–9 s and gives up after 30–90 s of waiting.
 */
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import { FreeSwitchSimulator } from '../simulator/simulator.js'
import { Store } from '../store/index.js'
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js'
import type { Daemon } from './daemon.js'
import { settingsFromConfig, startDaemon } from './index.js'

export interface Simulation {
  daemon: Daemon
  simulator: FreeSwitchSimulator
  stop(): Promise<void>
}

export interface SimulationOptions {
  clock?: Clock
  /** Random source (tests pass a seeded one). */
  random?: () => number
  /** Generate traffic (default true). */
  traffic?: boolean
}

const AGENTS = ['1001', '1002', '1003', '1004']

/** Creates the demo call centre in `store`. */
export function seedDemo(store: Store, now: number): void {
  const support = store.queues.create({ number: '5000', name: 'Support', settings: { strategy: 'longest-idle', ringTimeSec: 15, wrapUpSec: 5, language: 'en' } })
  const sales = store.queues.create({ number: '5001', name: 'Sales', settings: { strategy: 'ring-parallel', parallelCount: 2, ringTimeSec: 15, wrapUpSec: 5, language: 'en' } })
  const ids = AGENTS.map((ext) => store.agents.create({ extension: ext, name: `Agent ${ext}`, plan: 'pro' }).id)
  const members: [number, string][] = [[0, support.id], [1, support.id], [2, support.id], [1, sales.id], [2, sales.id], [3, sales.id]]
  for (const [i, q] of members) store.memberships.add(ids[i], q)
  members.forEach(([i, q], n) => store.sessions.login(ids[i], q, now - (members.length - n) * 1000))
}

/** Starts simulator, daemon and traffic. */
export async function startSimulation(config: Config, log: Logger, opts: SimulationOptions = {}): Promise<Simulation> {
  const clock = opts.clock ?? new RealClock()
  const random = opts.random ?? Math.random
  const simLog = log.child({ module: 'sim' })
  const simulator = new FreeSwitchSimulator({ clock, sipDomain: 'default', password: config.freeswitch.password, soundPrefix: config.sounds.dir })
  const port = await simulator.listen(0, '127.0.0.1')
  simLog.info({ port }, 'FreeSWITCH simulator listening')
  for (const ext of AGENTS) simulator.endpoint(ext, agentBehaviour(random))

  const store = Store.open(':memory:', { logger: log.child({ module: 'store' }), clock })
  seedDemo(store, clock.now())
  const settings = { ...settingsFromConfig(config), databasePath: ':memory:', freeswitch: { host: '127.0.0.1', port, password: config.freeswitch.password } }
  const daemon = await startDaemon(settings, { logger: log, clock, store })
  await daemon.whenRebuilt()

  let stopped = false
  let next: TimerHandle | undefined
  const timers = new Set<TimerHandle>()
  let callers = 0
  const scheduleCall = (): void => {
    next = clock.setTimeout(() => {
      if (stopped) return
      placeCall()
      scheduleCall()
    }, 3000 + random() * 6000)
  }
  const placeCall = (): void => {
    const queue = random() < 0.6 ? '5000' : '5001'
    const from = `07${String(Math.floor(random() * 1e8)).padStart(8, '0')}`
    // Each agent's phone behaves a little differently from call to call.
    for (const ext of AGENTS) simulator.endpoint(ext, agentBehaviour(random))
    const call = simulator.placeCall({ to: queue, from, callerName: `Caller ${++callers}` })
    simLog.info({ caller: from, queue }, `caller ${from} dials ${queue}`)
    const patience = 30_000 + random() * 60_000
    const t = clock.setTimeout(() => {
      timers.delete(t)
      if (call.state !== 'bridged' && call.state !== 'hungup') {
        simLog.info({ caller: from, queue, waitedSec: Math.round(patience / 1000) }, `caller ${from} gives up`)
        call.hangup()
      }
    }, patience)
    timers.add(t)
  }
  if (opts.traffic !== false) {
    placeCall()
    scheduleCall()
  }

  return {
    daemon,
    simulator,
    async stop() {
      if (stopped) return
      stopped = true
      clock.clearTimeout(next)
      for (const t of timers) clock.clearTimeout(t)
      await daemon.stop()
      await simulator.close()
      store.close()
    },
  }
}

function agentBehaviour(random: () => number) {
  if (random() < 0.1) return { registered: true, neverAnswer: true }
  return { registered: true, answerAfterMs: 2000 + random() * 4000, hangupAfterMs: 8000 + random() * 17_000 }
}
