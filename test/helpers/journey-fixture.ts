/**
 * Fixtures of the caller's-journey integration tests (issue 4 "Proof", test/integration/journey-*.test.ts):
 * a temp SQLite file seeded with queues and agents, the FreeSWITCH simulator on 127.0.0.1:0 with registered agent
 * phones, and the real daemon wiring (startDaemon) connected to it over TCP.
 *
 * Prompt lengths: the simulator reads each WAV's real duration from its header (sounds/sv, sounds/en). A few long
 * prompts are given a shorter duration here (`SHORT_PROMPTS_MS`) so the tests run in seconds; the paths the caller
 * hears are still the real files, and every played path must exist on disk (`assertRealFiles`).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { DEFAULT_SOUNDS_DIR } from '../../src/config/paths.js'
import type { QueueSettings } from '../../src/core/model.js'
import type { Schedule } from '../../src/core/schedule/types.js'
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import type { HeardItem } from '../../src/simulator/channel.js'
import { Store } from '../../src/store/index.js'
import { RealClock, type Clock } from '../../src/util/clock.js'
import type { VirtualTime } from './virtual-time.js'

export const SOUNDS = DEFAULT_SOUNDS_DIR

/** sounds/<lang>/<id>.wav as the daemon names it. */
export const sound = (lang: 'sv' | 'en', id: string): string => join(SOUNDS, lang, `${id}.wav`)

/** Durations (ms) used instead of the WAV's own for the long prompts, per prompt id (both languages). */
export const SHORT_PROMPTS_MS: Record<string, number> = {
  'queue-first': 1200,
  'queue-periodic': 700,
  closed: 600,
  overflow: 600,
  'no-agents': 600,
  'position-is': 400,
  'wait-is': 400,
}

export interface QueueSeed {
  number: string
  name?: string
  tags?: string[]
  settings?: Partial<QueueSettings>
  schedule?: Schedule | null
}

export interface AgentSeed {
  extension: string
  /** Queue numbers the agent is a member of and logged in to. */
  loggedIn?: string[]
  /** Queue numbers the agent is only a member of. */
  member?: string[]
}

export interface Seeded {
  dir: string
  dbPath: string
  /** queue number → queue id */
  queues: Record<string, string>
  /** extension → agent id */
  agents: Record<string, string>
}

/**
 * Settings that make a quiet, quick queue: every announcement off, ring 5 s, wrap-up 0, no auto-logout. Tests
 * switch on what they assert.
 */
export const QUIET: Partial<QueueSettings> = {
  ringTimeSec: 5,
  wrapUpSec: 0,
  autoLogoutAfter: 0,
  welcomePrompt: '',
  firstMessagePrompt: '',
  periodicPrompt: '',
  announcePosition: false,
  announceWait: false,
}

/** A temp SQLite file with the default tenant, the queues and the agents (logged in `now - 60 s`). */
export async function seed(queues: QueueSeed[], agents: AgentSeed[], now = Date.now()): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-journey-'))
  const dbPath = join(dir, 'koplus.sqlite')
  const store = await Store.open(dbPath)
  try {
    return { dir, dbPath, ...(await seedStore(store, queues, agents, now)) }
  } finally {
    await store.close()
  }
}

/**
 * The queues and the agents (logged in `now - 60 s`) in an open store, SQLite or PostgreSQL (a daemon with
 * database.url keeps its data there).
 */
export async function seedStore(
  store: Store,
  queues: QueueSeed[],
  agents: AgentSeed[],
  now = Date.now(),
): Promise<Pick<Seeded, 'queues' | 'agents'>> {
  const qids: Record<string, string> = {}
  for (const q of queues) {
    const rec = await store.queues.create({
      number: q.number,
      name: q.name ?? `Queue ${q.number}`,
      ...(q.tags ? { tags: q.tags } : {}),
      settings: { ...QUIET, ...(q.settings ?? {}) },
      ...(q.schedule !== undefined ? { schedule: q.schedule } : {}),
    })
    qids[q.number] = rec.id
  }
  const aids: Record<string, string> = {}
  for (const [i, a] of agents.entries()) {
    const rec = await store.agents.create({ extension: a.extension, name: `Agent ${a.extension}`, plan: 'pro' })
    aids[a.extension] = rec.id
    for (const n of [...(a.member ?? []), ...(a.loggedIn ?? [])]) await store.memberships.add(rec.id, qids[n])
    // Earlier agents have been idle longer.
    for (const n of a.loggedIn ?? []) await store.sessions.login(rec.id, qids[n], now - 60_000 + i * 1000)
  }
  return { queues: qids, agents: aids }
}

export interface Journey {
  sim: FreeSwitchSimulator
  port: number
  daemon: Daemon
  seeded: Seeded
  /** Stops the current daemon and starts a new one on the same database (in-process restart). */
  restart(): Promise<Daemon>
}

/**
 * Seeds, starts the simulator (agent phones registered, answering after `answerAfterMs`) and the daemon, and waits
 * until the daemon has rebuilt its view. Everything is torn down with the test.
 */
export async function startJourney(
  t: Test,
  o: {
    queues: QueueSeed[]
    agents: AgentSeed[]
    answerAfterMs?: number
    /** The daemon's clock (default a RealClock); the simulator keeps real time. */
    clock?: Clock
    /** Virtual time for the daemon and the simulator both (instead of `clock`): the test lets time pass. */
    time?: VirtualTime
    shortPrompts?: boolean
    /** More seeding (calendars, schedules) before the daemon starts. */
    prepare?: (store: Store, seeded: Seeded) => void | Promise<void>
  },
): Promise<Journey> {
  const clock = o.time?.clock ?? o.clock ?? new RealClock()
  const seeded = await seed(o.queues, o.agents, clock.now())
  if (o.prepare) {
    const store = await Store.open(seeded.dbPath)
    try {
      await o.prepare(store, seeded)
    } finally {
      await store.close()
    }
  }
  const sim = new FreeSwitchSimulator({ sipDomain: 'default', ...(o.time ? { clock: o.time.clock } : {}) })
  if (o.shortPrompts !== false) {
    for (const [id, ms] of Object.entries(SHORT_PROMPTS_MS))
      for (const lang of ['sv', 'en'] as const) sim.fileDurations.set(sound(lang, id), ms)
  }
  // Forward destinations: a number that answers and parks, so a transferred caller is seen arriving there.
  sim.dialplan.addRoute(/^07\d{8}$/, () => [
    { app: 'answer', arg: '', loops: 1 },
    { app: 'park', arg: '', loops: 1 },
  ])
  const port = await sim.listen(0, '127.0.0.1')
  for (const a of o.agents) sim.endpoint(a.extension, { registered: true, answerAfterMs: o.answerAfterMs ?? 300 })
  const settings = { databasePath: seeded.dbPath, freeswitch: { host: '127.0.0.1', port, password: 'ClueCon' } }
  let daemon = await startDaemon(settings, { clock })
  const j: Journey = {
    sim,
    port,
    daemon,
    seeded,
    async restart() {
      await daemon.stop()
      daemon = await startDaemon(settings, { clock })
      j.daemon = daemon
      await daemon.whenRebuilt()
      return daemon
    },
  }
  t.teardown(async () => {
    await j.daemon.stop()
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })
  await daemon.whenRebuilt()
  return j
}

/** The files the caller heard, in order (bridges as `bridge:<uuid>`). */
export const files = (call: SimCall): string[] => call.heard().map((h) => h.file)

/** The heard items whose file is `path`. */
export const heardOf = (call: SimCall, path: string): HeardItem[] => call.heard().filter((h) => h.file === path)

/** Resolves when the caller has started hearing `path` (the n-th time, 1-based). */
export function whenHeard(
  sim: FreeSwitchSimulator,
  call: SimCall,
  path: string,
  timeoutMs = 5000,
  nth = 1,
): Promise<HeardItem> {
  return sim
    .waitFor(() => heardOf(call, path).length >= nth, timeoutMs, `caller hears ${path} (#${nth})`)
    .then(() => heardOf(call, path)[nth - 1])
}

/** Every file the caller heard exists on disk (moh, prompts, numbers), and lies under sounds/<lang>/. */
export function assertRealFiles(t: Test, call: SimCall, lang: 'sv' | 'en'): void {
  const played = files(call).filter((f) => !f.startsWith('bridge:'))
  t.ok(played.length > 0, 'the caller heard something')
  for (const f of new Set(played)) {
    t.ok(f.startsWith(join(SOUNDS, lang) + '/'), `${f} is a ${lang} prompt under sounds/${lang}`)
    t.ok(existsSync(f), `${f} exists`)
  }
}

/** Index of the first occurrence of each path in `list`, asserting they come in this order. */
export function assertOrder(t: Test, heard: string[], expected: string[], msg: string): void {
  let from = 0
  const missing: string[] = []
  for (const e of expected) {
    const i = heard.indexOf(e, from)
    if (i < 0) {
      missing.push(e)
      continue
    }
    from = i + 1
  }
  t.same(
    missing,
    [],
    `${msg}: ${expected.map((e) => e.replace(SOUNDS + '/', '')).join(' → ')} (heard: ${heard.map((e) => e.replace(SOUNDS + '/', '')).join(', ')})`,
  )
}

/**
 * Polls `fn` (a store read or the daemon's status: things that change without a simulator event, which is what
 * `sim.waitFor` re-checks on) every 10 ms until it returns (or resolves to) a value other than undefined/false.
 */
export async function until<R>(
  fn: () => R | Promise<R>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<Exclude<R, undefined | false>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v as Exclude<R, undefined | false>
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
