/**
 * A small discrete-event simulation of one queue's day, used to measure wait estimators
 * (bench/ewt.bench.ts) and to test them (test/ewt). Deterministic for a given seed.
 *
 * The day: arrivals are a non-homogeneous Poisson process following a daily profile
 * (thinning); each caller has a patience (exponential) after which they abandon if no agent
 * has been offered yet; agents work shifts with a lunch pause, logging in and out through the
 * day (an agent who is busy at their logout/pause time leaves after the call and wrap-up);
 * FIFO queue, longest-idle agent first; ring time before answer, log-normal talk time, fixed
 * wrap-up.
 *
 * Announcements: when a caller joins and finds no idle agent, and every `announceEveryMs`
 * while still queued, each estimator is asked for an estimate of the remaining wait; when
 * the caller is answered, each announcement is compared with the wait that actually remained.
 * Abandoned callers' announcements have no actual wait and are not scored.
 */
import { Prng } from '../../src/core/ewt/prng.js'
import { WaitEstimator, type WaitEstimatorOptions } from '../../src/core/ewt/wait-estimator.js'
import { MinHeap } from './heap.js'

const MIN = 60_000
const HOUR = 60 * MIN

/** Arrivals per hour at a time of day (hours since midnight, fractional); linear between points. */
export type ArrivalProfile = ReadonlyArray<readonly [hour: number, callsPerHour: number]>

export interface Shift {
  /** Login and logout, hours since midnight. */
  start: number
  end: number
  /** Optional pause (lunch), hours since midnight. */
  pause?: readonly [from: number, to: number]
}

export interface DaySimulationOptions {
  seed?: number
  /** Start of the simulated day, ms since the epoch (only an offset for the clock). */
  dayStartMs?: number
  /** Arrival profile; arrivals outside the first and last point are 0. */
  arrivals?: ArrivalProfile
  /** Multiplies the arrival profile (load factor). */
  arrivalScale?: number
  /** Agent shifts; default: a realistic staffing for the default profile. */
  shifts?: readonly Shift[]
  talkMeanMs?: number
  talkCv?: number
  wrapMs?: number
  /** Ring time before an agent answers, uniform in [min, max]. */
  ringMs?: readonly [number, number]
  patienceMeanMs?: number
  announceEveryMs?: number
  /**
   * Agents shared with other queues: each time an agent comes free, with this probability
   * they first take a call of another queue (same handle-time distribution), which this
   * queue's estimator never sees a handle time for. Default 0 (dedicated agents).
   */
  otherQueueShare?: number
  estimator?: WaitEstimatorOptions
}

/** One scored announcement. Estimates in seconds. */
export interface ScoredAnnouncement {
  call: number
  at: number
  position: number
  /** Our estimate (undefined = no basis, silence). */
  ours: number | undefined
  /** Asterisk app_queue: max(0, holdtime − waited). */
  asterisk: number
  /** Asterisk as app_queue really computes it: |holdtime − waited| (say_position uses abs()). */
  asteriskAbs: number
  /** Seconds that actually remained until answer. */
  actual: number
  /** First announcement of the call (on entry) or periodic. */
  entry: boolean
}

export interface DaySimulationResult {
  calls: number
  answered: number
  abandoned: number
  /** Callers connected without waiting in the queue (an agent was idle). */
  immediate: number
  announcements: ScoredAnnouncement[]
  /** Announcements of callers who abandoned (no actual wait to score against). */
  unscoredAnnouncements: number
  meanWaitS: number
  maxWaitS: number
}

export const DEFAULT_ARRIVALS: ArrivalProfile = [
  [7, 10],
  [8, 70],
  [9, 150],
  [10, 180],
  [11, 150],
  [12, 90],
  [12.5, 80],
  [13, 130],
  [14, 160],
  [15, 130],
  [16, 90],
  [17, 50],
  [18, 15],
  [18.01, 0],
]

export const DEFAULT_SHIFTS: readonly Shift[] = [
  { start: 7, end: 15.5, pause: [11, 11.5] },
  { start: 7, end: 15.5, pause: [11.5, 12] },
  { start: 7.5, end: 16, pause: [11, 11.75] },
  { start: 8, end: 16.5, pause: [12, 12.5] },
  { start: 8, end: 16.5, pause: [11.5, 12] },
  { start: 8, end: 12 },
  { start: 8.5, end: 17, pause: [12, 12.75] },
  { start: 8.5, end: 17, pause: [12.5, 13] },
  { start: 9, end: 17.5, pause: [12, 12.5] },
  { start: 9, end: 17.5, pause: [13, 13.5] },
  { start: 9, end: 13 },
  { start: 9.5, end: 18, pause: [12.5, 13] },
  { start: 10, end: 18.25, pause: [13, 13.5] },
  { start: 10, end: 14 },
  { start: 13, end: 18.25 },
  { start: 13.5, end: 17.5 },
]

interface Caller {
  id: number
  joinedAt: number
  patienceAt: number
  state: 'queued' | 'ringing' | 'talking' | 'gone'
  announcements: Array<Omit<ScoredAnnouncement, 'actual'>>
}

interface Agent {
  id: number
  loggedIn: boolean
  paused: boolean
  /** Log out / pause once the current call and wrap-up are over. */
  pending: 'logout' | 'pause' | undefined
  busy: boolean
  idleSince: number
}

interface Ev {
  at: number
  seq: number
  run: () => void
}

/** The day's events by (time, order scheduled). */
class EventQueue {
  readonly #heap = new MinHeap<Ev>()
  #seq = 0
  push(at: number, run: () => void): void {
    this.#heap.push({ at, seq: this.#seq++, run })
  }
  pop(): Ev | undefined {
    return this.#heap.pop()
  }
}

/** Arrival rate (per ms) at `hour`, by linear interpolation of the profile. */
function rateAt(profile: ArrivalProfile, hour: number): number {
  if (profile.length === 0 || hour < profile[0][0] || hour > profile[profile.length - 1][0]) return 0
  for (let i = 1; i < profile.length; i++) {
    const [h0, r0] = profile[i - 1]
    const [h1, r1] = profile[i]
    if (hour <= h1) return (r0 + ((r1 - r0) * (hour - h0)) / (h1 - h0)) / HOUR
  }
  return 0
}

/** Simulates one day; see the module comment. */
export function simulateDay(opts: DaySimulationOptions = {}): DaySimulationResult {
  const rng = new Prng(opts.seed ?? 1)
  const day0 = opts.dayStartMs ?? Date.UTC(2026, 10, 25, 0, 0, 0)
  const profile = opts.arrivals ?? DEFAULT_ARRIVALS
  const scale = opts.arrivalScale ?? 1
  const shifts = opts.shifts ?? DEFAULT_SHIFTS
  const talkMean = opts.talkMeanMs ?? 4 * MIN
  const talkCv = opts.talkCv ?? 0.8
  const wrapMs = opts.wrapMs ?? 30_000
  const [ringMin, ringMax] = opts.ringMs ?? [3_000, 12_000]
  const patienceMean = opts.patienceMeanMs ?? 6 * MIN
  const announceEvery = opts.announceEveryMs ?? MIN
  const otherShare = opts.otherQueueShare ?? 0
  const at = (hour: number) => day0 + hour * HOUR

  const estimator = new WaitEstimator(opts.estimator)
  let holdtimeS = 0 // app_queue's q->holdtime, integer seconds

  const events = new EventQueue()
  const queue: Caller[] = []
  const agents: Agent[] = shifts.map((_, id) => ({
    id,
    loggedIn: false,
    paused: false,
    pending: undefined,
    busy: false,
    idleSince: 0,
  }))
  const scored: ScoredAnnouncement[] = []
  let calls = 0
  let answered = 0
  let abandoned = 0
  let immediate = 0
  let unscored = 0
  let waitSum = 0
  let waitMax = 0
  let now = day0

  const serving = () => agents.filter((a) => a.loggedIn && !a.paused)
  const busyCount = () => agents.filter((a) => a.loggedIn && !a.paused && a.busy).length
  const noteState = () => {
    const s = serving()
    estimator.recordState(now, s.length, s.filter((a) => a.busy).length, queue.length)
  }

  /** Longest-idle free agent, if any. */
  const freeAgent = (): Agent | undefined => {
    let best: Agent | undefined
    for (const a of agents) {
      if (a.loggedIn && !a.paused && !a.busy && (!best || a.idleSince < best.idleSince)) best = a
    }
    return best
  }

  const offer = (c: Caller, a: Agent, backlogged: boolean) => {
    queue.splice(queue.indexOf(c), 1)
    c.state = 'ringing'
    a.busy = true
    estimator.recordServiceStart(now, backlogged)
    noteState()
    const offeredAt = now
    events.push(now + rng.uniform(ringMin, ringMax), () => {
      c.state = 'talking'
      const waited = now - c.joinedAt
      answered++
      waitSum += waited / 1000
      waitMax = Math.max(waitMax, waited / 1000)
      estimator.recordAnswered(now, waited, now - offeredAt)
      // app_queue recalc_holdtime(qe, now - qe->start): integer seconds, (3·old + new) >> 2
      holdtimeS = ((holdtimeS << 2) - holdtimeS + Math.floor(waited / 1000)) >> 2
      for (const ann of c.announcements) scored.push({ ...ann, actual: (now - ann.at) / 1000 })
      const talk = rng.logNormal(talkMean, talkCv)
      events.push(now + talk + wrapMs, () => {
        estimator.recordHandled(now, now - offeredAt)
        c.state = 'gone'
        release(a)
      })
    })
  }

  /** An agent is done with a call (and wrap-up): maybe another queue's call, else free. */
  const release = (a: Agent) => {
    if (!a.pending && otherShare > 0 && rng.next() < otherShare) {
      const other = rng.uniform(ringMin, ringMax) + rng.logNormal(talkMean, talkCv) + wrapMs
      events.push(now + other, () => release(a))
      return
    }
    a.busy = false
    a.idleSince = now
    if (a.pending === 'logout') a.loggedIn = false
    if (a.pending === 'pause') a.paused = true
    a.pending = undefined
    noteState()
    dispatch(true)
  }

  /** Offers queued callers to free agents, FIFO × longest idle. */
  const dispatch = (afterRelease: boolean) => {
    let backlogged = afterRelease
    while (queue.length > 0) {
      const a = freeAgent()
      if (!a) return
      offer(queue[0], a, backlogged)
      backlogged = false
    }
  }

  const announce = (c: Caller, entry: boolean) => {
    if (c.state !== 'queued') return
    const position = queue.indexOf(c) + 1
    const s = serving().length
    const waitedS = (now - c.joinedAt) / 1000
    c.announcements.push({
      call: c.id,
      at: now,
      position,
      ours: estimator.estimate(position, s, busyCount(), now),
      asterisk: Math.max(0, holdtimeS - waitedS),
      asteriskAbs: Math.abs(holdtimeS - waitedS),
      entry,
    })
    events.push(now + announceEvery, () => announce(c, false))
  }

  const arrive = () => {
    const c: Caller = {
      id: ++calls,
      joinedAt: now,
      patienceAt: now + rng.exponential(patienceMean),
      state: 'queued',
      announcements: [],
    }
    queue.push(c)
    noteState()
    const a = freeAgent()
    if (a && queue.length === 1) {
      immediate++
      offer(c, a, false)
    } else {
      announce(c, true)
    }
    events.push(c.patienceAt, () => {
      if (c.state !== 'queued') return
      c.state = 'gone'
      queue.splice(queue.indexOf(c), 1)
      abandoned++
      unscored += c.announcements.length
      estimator.recordAbandoned(now, now - c.joinedAt)
      noteState()
    })
  }

  // Arrivals by thinning against the profile's peak rate.
  const peak = (Math.max(...profile.map(([, r]) => r)) * scale) / HOUR
  const firstHour = profile[0]?.[0] ?? 0
  const lastHour = profile[profile.length - 1]?.[0] ?? 0
  for (let t = at(firstHour); ;) {
    t += rng.exponential(1 / peak)
    if (t > at(lastHour)) break
    const hour = (t - day0) / HOUR
    if (rng.next() * peak < rateAt(profile, hour) * scale) events.push(t, arrive)
  }

  // Agents' shifts and pauses.
  shifts.forEach((sh, i) => {
    const a = agents[i]
    events.push(at(sh.start), () => {
      a.loggedIn = true
      a.paused = false
      a.idleSince = now
      noteState()
      dispatch(false)
    })
    const leave = (what: 'logout' | 'pause') => () => {
      if (!a.loggedIn) return
      if (a.busy) a.pending = what
      else if (what === 'logout') a.loggedIn = false
      else a.paused = true
      noteState()
    }
    if (sh.pause) {
      events.push(at(sh.pause[0]), leave('pause'))
      events.push(at(sh.pause[1]), () => {
        if (!a.loggedIn) return
        if (a.pending === 'pause') a.pending = undefined
        a.paused = false
        a.idleSince = now
        noteState()
        dispatch(false)
      })
    }
    events.push(at(sh.end), leave('logout'))
  })

  for (let e = events.pop(); e; e = events.pop()) {
    now = e.at
    e.run()
  }

  return {
    calls,
    answered,
    abandoned,
    immediate,
    announcements: scored,
    unscoredAnnouncements: unscored,
    meanWaitS: answered ? waitSum / answered : 0,
    maxWaitS: waitMax,
  }
}

export { accuracy, type Accuracy } from '../../src/core/ewt/accuracy.js'
