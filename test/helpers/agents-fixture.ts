/**
 * The rig of the issue-5 integration tests (test/integration/agents-*.test.ts): a temp SQLite file seeded with
 * queues and agents, the FreeSWITCH simulator on 127.0.0.1:<port 0> with the agents' phones, and the daemon
 * (startDaemon, in-process) connected to it over TCP. Shipped prompts are given short durations in the simulator
 * (their names are still what the caller "hears"), so a feature-code reply takes milliseconds, not seconds.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import pino from 'pino'
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js'
import type { Device, Plan, QueueSettings } from '../../src/core/model.js'
import { DEFAULT_SOUNDS_DIR } from '../../src/config/paths.js'
import { Store } from '../../src/store/index.js'
import { RealClock, type Clock, type TimerHandle } from '../../src/util/clock.js'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import type { EndpointBehaviour } from '../../src/simulator/endpoints.js'
import type { Truthy, VirtualTime } from './virtual-time.js'

export interface QueueSpec {
  number: string
  name?: string
  settings?: Partial<QueueSettings>
}

export interface AgentSpec {
  extension: string
  plan?: Plan
  devices?: Device[]
  activeDevice?: number
  skills?: Record<string, number>
  wrapUpSec?: number | null
  /** Queue numbers the agent is a member of. */
  memberOf: string[]
  /** Queue numbers the agent is logged in to at start. */
  loggedIn?: string[]
  /** The agent's sessions started this long ago (longer = idle longer). Default 60 s. */
  loggedInAgoMs?: number
}

export interface RigOptions {
  queues: QueueSpec[]
  agents: AgentSpec[]
  /** Phones: SIP user → behaviour (registered by default), or a dial-string pattern (mobiles) via `patterns`. */
  phones?: Record<string, EndpointBehaviour & { registered?: boolean }>
  patterns?: { pattern: string | RegExp; behaviour: EndpointBehaviour }[]
  /** The daemon's clock (default `time`'s, else a RealClock). */
  clock?: Clock
  /** Virtual time for the simulator, the seeding and (unless `clock` is given) the daemon: the test lets time pass. */
  time?: VirtualTime
}

/**
 * A clock (the wall clock, or a test's virtual one) whose timers call back EARLY_MS before its `now()` reaches their
 * instant. Node's setTimeout does this by ~1 ms for about one timer in ten (its timers run on a monotonic
 * millisecond clock); the exaggeration makes the case certain, where 1 ms is often hidden by the time spent between
 * arming and the event loop.
 */
export const EARLY_MS = 20

export class EarlyTimersClock implements Clock {
  constructor(readonly base: Clock = new RealClock()) {}
  now(): number {
    return this.base.now()
  }
  /**
   * EARLY_MS early; a timer of EARLY_MS or less 1 ms early (Node's way), and one of 1 ms or less on time, so a timer
   * re-armed for the rest is reached: on a virtual clock a 0 ms re-arm would fire at the same instant for ever.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.base.setTimeout(fn, ms > EARLY_MS ? ms - EARLY_MS : ms > 1 ? ms - 1 : Math.max(0, ms))
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    this.base.clearTimeout(handle)
  }
}

/** Settings of every test queue unless overridden: quick ring and wrap-up, no spoken announcements. */
export const TEST_QUEUE_DEFAULTS: Partial<QueueSettings> = {
  strategy: 'longest-idle',
  ringTimeSec: 2,
  wrapUpSec: 1,
  autoLogoutAfter: 0,
  welcomePrompt: '',
  firstMessagePrompt: '',
  periodicPrompt: '',
  announcePosition: false,
  announceWait: false,
}

/** Short playback durations of the shipped prompts (not the music on hold, which loops). */
export const PROMPT_MS = 40

export interface Rig {
  sim: FreeSwitchSimulator
  /** The running daemon (a new object after restartDaemon). */
  daemon: Daemon
  store: Store
  dir: string
  recordingsDir: string
  queueId(number: string): string
  agentId(extension: string): string
  /** Dial strings' targets (SIP user or mobile number) of every originate made for a caller, in order. */
  dialled(callId: string): string[][]
  /** The agent id of the leg a caller is bridged to. */
  bridgedAgent(call: SimCall): string | undefined
  /** Base names (without .wav) of the files a call heard, in order. */
  heardNames(call: SimCall): string[]
  /** Event-log rows (event names) for an agent since `since`. */
  agentEvents(agentId: string, since?: number): Promise<string[]>
  /** Stops the daemon (live calls stay in the simulator) and starts a new one on the same SQLite file. */
  restartDaemon(): Promise<void>
  stop(): Promise<void>
}

/** A seeded temp directory: SQLite file and recordings directory. */
export interface Seeded {
  dir: string
  dbPath: string
  recordingsDir: string
  queueIds: Map<string, string>
  agentIds: Map<string, string>
}

/** A temp directory with a SQLite file holding the queues, agents, memberships and sessions of `opts`. */
export async function seedAgents(
  opts: Pick<RigOptions, 'queues' | 'agents'>,
  clock: Clock = new RealClock(),
): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-agents-'))
  const dbPath = join(dir, 'koplus.sqlite')
  const recordingsDir = join(dir, 'recordings')
  mkdirSync(recordingsDir, { recursive: true })
  const now = clock.now()
  const queueIds = new Map<string, string>()
  const agentIds = new Map<string, string>()
  const seed = await Store.open(dbPath, { clock })
  try {
    for (const q of opts.queues) {
      const rec = await seed.queues.create({
        number: q.number,
        name: q.name ?? `Queue ${q.number}`,
        settings: { ...TEST_QUEUE_DEFAULTS, ...(q.settings ?? {}) },
      })
      queueIds.set(q.number, rec.id)
    }
    for (const a of opts.agents) {
      const rec = await seed.agents.create({
        extension: a.extension,
        name: `Agent ${a.extension}`,
        plan: a.plan ?? 'pro',
        ...(a.devices ? { devices: a.devices } : {}),
        ...(a.activeDevice !== undefined ? { activeDevice: a.activeDevice } : {}),
        ...(a.skills ? { skills: a.skills } : {}),
        ...(a.wrapUpSec !== undefined ? { wrapUpSec: a.wrapUpSec } : {}),
      })
      agentIds.set(a.extension, rec.id)
      for (const n of a.memberOf) await seed.memberships.add(rec.id, queueIds.get(n)!)
      for (const n of a.loggedIn ?? [])
        await seed.sessions.login(rec.id, queueIds.get(n)!, now - (a.loggedInAgoMs ?? 60_000))
    }
  } finally {
    await seed.close()
  }
  return { dir, dbPath, recordingsDir, queueIds, agentIds }
}

/** The simulator (SIP domain "default") with short shipped prompts and the phones / patterns of `opts`. */
export async function startAgentsSimulator(
  opts: Pick<RigOptions, 'phones' | 'patterns' | 'time'>,
): Promise<{ sim: FreeSwitchSimulator; port: number }> {
  const sim = new FreeSwitchSimulator({ sipDomain: 'default', ...(opts.time ? { clock: opts.time.clock } : {}) })
  for (const lang of ['sv', 'en']) {
    for (const f of readdirSync(join(DEFAULT_SOUNDS_DIR, lang))) {
      if (f.endsWith('.wav') && f !== 'moh.wav') sim.fileDurations.set(join(DEFAULT_SOUNDS_DIR, lang, f), PROMPT_MS)
    }
  }
  const port = await sim.listen(0, '127.0.0.1')
  for (const [user, b] of Object.entries(opts.phones ?? {}))
    sim.endpoint(user, { registered: true, answerAfterMs: 100, ...b })
  for (const p of opts.patterns ?? []) sim.endpoint(p.pattern, p.behaviour)
  return { sim, port }
}

/** Dial strings' targets (SIP user or mobile number) of every originate the simulator saw for a caller. */
export function dialledFor(sim: FreeSwitchSimulator, callId: string): string[][] {
  return sim.originates
    .filter((o) => o.arg.includes(`koplus_call=${callId}`))
    .map((o) =>
      [...o.arg.matchAll(/\](?:user\/([^@,\s]+)(?:@[^,\s]*)?|sofia\/gateway\/[^/]+\/([^,\s]+))/g)].map(
        (m) => m[1] ?? m[2],
      ),
    )
}

/** Seeds the store, starts the simulator and the daemon, and waits for the daemon's first rebuild. */
export async function startAgentsRig(opts: RigOptions): Promise<Rig> {
  const { dir, dbPath, recordingsDir, queueIds, agentIds } = await seedAgents(opts, opts.time?.clock)
  const { sim, port } = await startAgentsSimulator(opts)
  const clock = opts.clock ?? opts.time?.clock

  const level = process.env.KOPLUS_IT_LOG ?? 'silent'
  const start = async (): Promise<Daemon> => {
    const d = await startDaemon(
      { databasePath: dbPath, recordingsDir, freeswitch: { host: '127.0.0.1', port, password: 'ClueCon' } },
      { logger: pino({ level }, pino.destination(2)), ...(clock ? { clock } : {}) },
    )
    await d.whenRebuilt()
    return d
  }
  const daemon = await start()

  const rig: Rig = {
    sim,
    daemon,
    get store() {
      return rig.daemon.store
    },
    dir,
    recordingsDir,
    queueId: (n) => {
      const id = queueIds.get(n)
      if (!id) throw new Error(`no queue ${n}`)
      return id
    },
    agentId: (e) => {
      const id = agentIds.get(e)
      if (!id) throw new Error(`no agent ${e}`)
      return id
    },
    dialled: (callId) => dialledFor(sim, callId),
    bridgedAgent: (call) => (call.bridgedTo ? sim.channel(call.bridgedTo)?.variables.get('koplus_agent') : undefined),
    heardNames: (call) => call.heard().map((h) => basename(h.file).replace(/\.wav$/, '')),
    agentEvents: async (agentId, since = 0) =>
      (await rig.daemon.store.events.list({ agentId, since })).map((e) => e.event),
    async restartDaemon() {
      await rig.daemon.stop()
      await until(() => sim.connectionCount === 0, 3000, 'ESL connection closed')
      rig.daemon = await start()
    },
    async stop() {
      await rig.daemon.stop()
      await sim.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return rig
}

/**
 * Polls `fn` (state the daemon changes when it handles events from the simulator; a store read resolves) until it is
 * truthy.
 */
export async function until<R>(fn: () => R | Promise<R>, timeoutMs = 5000, what = 'condition'): Promise<Truthy<R>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false && v !== null) return v as Truthy<R>
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
