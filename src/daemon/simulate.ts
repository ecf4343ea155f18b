/**
 * `koplus daemon --simulate`: the real daemon against the in-process FreeSWITCH simulator (over TCP on loopback),
 * with a small demo call centre and generated traffic, so a newcomer sees calls flow without FreeSWITCH.
 * Everything the daemon does is in its log; the simulated world logs as `sim`.
 *
 * The demo keeps its state in a database file of its own (`<data dir>/simulate.sqlite`, never the production
 * database): what you change with the CLI or the web pages survives a restart; `--fresh` deletes it and seeds the
 * demo again. Calls still open in that file when the last run stopped are closed at start (the simulated switch
 * and its calls went with the process).
 *
 * Demo: tenant "default"; queue 5000 "Support" (tag support, longest idle) with agents 1001, 1002, 1003; queue 5001 "Sales"
 * (tag sales, parallel ringing of 2) with 1002, 1003, 1004; all four logged in. Simulated agents answer after 2–6 s (one in
 * ten does not answer), talk 8–25 s and hang up. A caller arrives every 3–9 s and gives up after 30–90 s of waiting.
 */
import { rmSync } from 'node:fs'
import type { Logger } from 'pino'
import type { Config } from '../config/index.js'
import { FreeSwitchSimulator } from '../simulator/simulator.js'
import { Store } from '../store/index.js'
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js'
import { SIMULATE_DB_FILE } from '../config/data-dir.js'
import type { Daemon } from './daemon.js'
import { startDaemon } from './start.js'

interface Simulation {
  daemon: Daemon
  simulator: FreeSwitchSimulator
  /** The simulator's Event Socket port on 127.0.0.1. */
  port: number
  stop(): Promise<void>
}

export interface SimulationOptions {
  clock?: Clock
  /** Random source (tests pass a seeded one). */
  random?: () => number
  /** Generate traffic (default true). */
  traffic?: boolean
  /** The demo's SQLite file (default ':memory:'); an existing file keeps its state, a new one is seeded. */
  databasePath?: string
  /** Delete databasePath first and seed the demo again. */
  fresh?: boolean
}

/** The demo database file of `koplus daemon --simulate`, in the data directory beside (never instead of) the real one. */
export { SIMULATE_DB_FILE }

/** Deletes a SQLite database file and its WAL/shared-memory files. */
function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true })
}

const AGENTS = ['1001', '1002', '1003', '1004']

/** Creates the demo call centre in `store`. */
async function seedDemo(store: Store, now: number): Promise<void> {
  const support = await store.queues.create({
    number: '5000',
    name: 'Support',
    tags: ['support'],
    settings: { strategy: 'longest-idle', ringTimeSec: 15, wrapUpSec: 5, language: 'en' },
  })
  const sales = await store.queues.create({
    number: '5001',
    name: 'Sales',
    tags: ['sales'],
    settings: { strategy: 'ring-parallel', parallelCount: 2, ringTimeSec: 15, wrapUpSec: 5, language: 'en' },
  })
  const ids: string[] = []
  for (const ext of AGENTS)
    ids.push((await store.agents.create({ extension: ext, name: `Agent ${ext}`, plan: 'pro' })).id)
  const members: [number, string][] = [
    [0, support.id],
    [1, support.id],
    [2, support.id],
    [1, sales.id],
    [2, sales.id],
    [3, sales.id],
  ]
  for (const [i, q] of members) await store.memberships.add(ids[i], q)
  for (const [n, [i, q]] of members.entries()) await store.sessions.login(ids[i], q, now - (members.length - n) * 1000)
}

/**
 * The simulated world, ready for a daemon: the simulator listening on 127.0.0.1, the demo database seeded (or kept
 * from the last run, its open calls closed), and `config` pointed at both. The daemon is then built from that config
 * exactly as without --simulate (runDaemonCommand), and `startTraffic` lets callers dial once it runs.
 */
export interface SimulatedWorld {
  /** The config with freeswitch.host/port at the simulator and database.path at the demo database. */
  config: Config
  clock: Clock
  simulator: FreeSwitchSimulator
  /** The demo database, open (the daemon uses it; close() closes it). */
  store: Store
  /** The simulator's Event Socket port on 127.0.0.1. */
  port: number
  /** Callers start dialling (unless opts.traffic is false); returns a function that stops them. */
  startTraffic(): () => void
  /** Closes the simulator and the demo database (after the daemon has stopped). */
  close(): Promise<void>
}

/** Starts the simulator and opens the demo database; no daemon yet (see SimulatedWorld). */
export async function prepareSimulation(
  config: Config,
  log: Logger,
  opts: SimulationOptions = {},
): Promise<SimulatedWorld> {
  const clock = opts.clock ?? new RealClock()
  const random = opts.random ?? Math.random
  const simLog = log.child({ module: 'sim' })
  const simulator = new FreeSwitchSimulator({
    clock,
    sipDomain: 'default',
    password: config.freeswitch.password,
    soundPrefix: config.sounds.dir,
  })
  const port = await simulator.listen(0, '127.0.0.1')
  simLog.info({ port }, 'FreeSWITCH simulator listening')
  for (const ext of AGENTS) simulator.endpoint(ext, agentBehaviour(random))

  const databasePath = opts.databasePath ?? ':memory:'
  if (opts.fresh && databasePath !== ':memory:') removeDatabase(databasePath)
  let store: Store
  try {
    store = await Store.open(databasePath, { logger: log.child({ module: 'store' }), clock })
  } catch (err) {
    await simulator.close() // nothing stays behind when the demo database cannot be opened
    throw err
  }
  if ((await store.queues.list()).length === 0) {
    await seedDemo(store, clock.now())
    simLog.info({ database: databasePath }, `demo call centre created in ${databasePath}`)
  } else {
    const now = clock.now()
    const open = await store.calls.inProgress()
    for (const c of open) {
      await store.tx(async (s) => {
        for (const o of await s.calls.offersForCall(c.callId))
          if (o.result === null)
            await s.calls.finishOffer(o.id, { result: 'cancelled', endedAt: Math.max(now, o.offeredAt) })
        await s.calls.update(c.callId, {
          endedAt: Math.max(now, c.arrivedAt),
          outcome: c.answeredAt !== null ? 'answered' : 'failed',
        })
      })
    }
    simLog.info(
      { database: databasePath, closedCalls: open.length },
      `demo call centre kept from the last run in ${databasePath} ('koplus daemon --simulate --fresh' starts over)`,
    )
  }
  const pointed: Config = {
    ...config,
    database: { ...config.database, path: databasePath },
    freeswitch: { ...config.freeswitch, host: '127.0.0.1', port, nodes: null },
  }

  const startTraffic = (): (() => void) => {
    let stopped = false
    let next: TimerHandle | undefined
    const timers = new Set<TimerHandle>()
    let callers = 0
    const scheduleCall = (): void => {
      next = clock.setTimeout(
        () => {
          if (stopped) return
          placeCall()
          scheduleCall()
        },
        3000 + random() * 6000,
      )
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
    return () => {
      stopped = true
      clock.clearTimeout(next)
      for (const t of timers) clock.clearTimeout(t)
    }
  }

  return {
    config: pointed,
    clock,
    simulator,
    store,
    port,
    startTraffic,
    async close() {
      await simulator.close()
      await store.close()
    },
  }
}

/** Simulator, daemon and traffic in one call (tests and benches; `koplus daemon --simulate` wires them itself). */
export async function startSimulation(config: Config, log: Logger, opts: SimulationOptions = {}): Promise<Simulation> {
  const world = await prepareSimulation(config, log, opts)
  const daemon = await startDaemon(world.config, { logger: log, clock: world.clock, store: world.store })
  await daemon.whenRebuilt()
  const stopTraffic = world.startTraffic()
  let stopped = false
  return {
    daemon,
    simulator: world.simulator,
    port: world.port,
    async stop() {
      if (stopped) return
      stopped = true
      stopTraffic()
      await daemon.stop()
      await world.close()
    },
  }
}

function agentBehaviour(random: () => number) {
  if (random() < 0.1) return { registered: true, neverAnswer: true }
  return { registered: true, answerAfterMs: 2000 + random() * 4000, hangupAfterMs: 8000 + random() * 17_000 }
}
