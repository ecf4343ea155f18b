/**
 * Schedule / open-state: which queues are open (opening hours, holiday calendars, temporary closures; SPEC S1–S3),
 * evaluated by the core itself with src/core/schedule (pure), and the instant of the next opening or closing, for
 * which the engine sets its own `set-timer` (OPEN_STATE_TIMER). At that timer the engine logs every queue whose
 * state changed (QUEUEOPEN / QUEUECLOSED in the event log) and arms the next one.
 *
 * Callers already waiting keep their place when their queue closes; the state applies to callers arriving.
 */
import type { CoreConfig } from '../events.js'
import type { OpenState } from '../journey/admission.js'
import type { Queue } from '../model.js'
import { nextChange, stateAt } from '../schedule/index.js'
import { clearTimer, queueLog, setTimer, type EngineState } from './engine-state.js'
import { callbacksOpenChanged } from './callback.js'
import type { Closure, HolidayCalendar, Schedule } from '../schedule/types.js'

/** The timer id of the next open/closed transition of any queue. */
export const OPEN_STATE_TIMER = 'sched:next'

/** The schedule of a queue that has none: always open (closures still apply). */
const ALWAYS_OPEN: Schedule = { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [], alwaysOpen: true }
/** What the evaluator says of ALWAYS_OPEN with no closure (stateAt's reason for an always-open schedule). */
const ALWAYS_OPEN_STATE: OpenState = { open: true, reason: 'open: always open' }

/** The schedule tables of the configuration, as the evaluator takes them. */
export class OpenStateBook {
  readonly #schedules: Readonly<Record<string, Schedule | null>>
  readonly #calendars: readonly HolidayCalendar[]
  readonly #closures: readonly Closure[]
  /** Queues some closure names: the others, without a schedule, are open without asking the evaluator. */
  readonly #closable: ReadonlySet<string>

  constructor(config: Pick<CoreConfig, 'schedules' | 'calendars' | 'closures'>) {
    this.#schedules = config.schedules ?? {}
    this.#calendars = config.calendars ?? []
    this.#closures = config.closures ?? []
    this.#closable = new Set(this.#closures.flatMap((c) => c.queueIds))
  }

  #schedule(queueId: string): Schedule {
    return this.#schedules[queueId] ?? ALWAYS_OPEN
  }

  /** Open or closed at `now`, why, and a closure's own message if a closure decided it. */
  state(queue: Queue, now: number): OpenState {
    if (!this.#schedules[queue.id] && !this.#closable.has(queue.id)) return ALWAYS_OPEN_STATE
    // stateAt, not explain: it skips the search for the next change (µs on every call arrival, not ~100 µs).
    const e = stateAt(this.#schedule(queue.id), this.#calendars, this.#closures, queue.id, now)
    const out: OpenState = { open: e.open, reason: e.reason }
    if (!e.open && e.decidedBy.kind === 'closure') {
      const cl = this.#closures.find((c) => c.id === e.decidedBy.id)
      if (cl?.messagePrompt) out.prompt = cl.messagePrompt
    }
    return out
  }

  /** The earliest instant after `now` at which one of `queues` opens or closes (undefined: none within the horizon). */
  nextChange(queues: Iterable<Queue>, now: number): number | undefined {
    let min: number | undefined
    for (const q of queues) {
      if (!this.#schedules[q.id] && !this.#closable.has(q.id)) continue
      const n = nextChange(this.#schedule(q.id), this.#calendars, this.#closures, q.id, now)
      if (n !== undefined && n > now && (min === undefined || n < min)) min = n
    }
    return min
  }
}

/**
 * Which queues are open now: logs each queue that opened or closed since the last review (QUEUEOPEN /
 * QUEUECLOSED) and sets the engine's own timer for the next opening or closing of any queue.
 */
export function reviewOpenState(st: EngineState): void {
  const previous = st.openStates
  st.openStates = new Map()
  for (const q of st.queues.values()) {
    const state = st.openBook.state(q, st.now)
    st.openStates.set(q.id, state.open)
    const was = previous.get(q.id)
    if (was !== undefined && was !== state.open) {
      queueLog(st, state.open ? 'QUEUEOPEN' : 'QUEUECLOSED', '', q.id, '', { reason: state.reason })
      callbacksOpenChanged(st, q.id, state.open)
    }
  }
  const at = st.openBook.nextChange(st.queues.values(), st.now)
  if (at === undefined) clearTimer(st, OPEN_STATE_TIMER)
  else if (st.timers.get(OPEN_STATE_TIMER) !== at) setTimer(st, OPEN_STATE_TIMER, at)
}
