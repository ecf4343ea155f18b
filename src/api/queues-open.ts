/**
 * Which queues are open at an instant (schedule, holiday calendars, closures), read from the store the way the
 * daemon's engine decides it (src/daemon/engine-deps.ts `isOpen`): for the `koplus_queue_open` metric.
 */
import { stateAt } from '../core/schedule/index.js'
import type { Schedule } from '../core/schedule/types.js'
import type { Store } from '../store/index.js'

/** A queue without a schedule is always open (as in the engine). */
const ALWAYS_OPEN: Schedule = { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [], alwaysOpen: true }

/** Queue id → open at `now`. */
export async function queuesOpenAt(store: Store, now: number): Promise<Record<string, boolean>> {
  const calendars = await store.holidayCalendars.list()
  const closures = await store.closures.list(undefined, 100_000)
  const out: Record<string, boolean> = {}
  for (const q of await store.queues.list())
    out[q.id] = stateAt(q.schedule ?? ALWAYS_OPEN, calendars, closures, q.id, now).open
  return out
}
