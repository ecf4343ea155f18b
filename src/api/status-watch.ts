/**
 * A stop-gap change source for the SSE stream while the daemon has no change hook of its own: the daemon's
 * engine is fed by FreeSWITCH events inside startDaemon (callers arriving, answers, hang-ups) without going
 * through LiveControl, so `daemonLive`'s notifier only hears about API actions. `watchStatus` samples the
 * status every `intervalMs` and notifies when anything but the clock-driven fields changed.
 *
 * Preferred wiring (for the daemon's owner): call `changes.notify()` after every event `dispatch` handles; then
 * this watcher is not needed.
 */
import type { ChangeNotifier, StatusSnapshot } from './live.js'

/** Fields that change with time alone (not state changes). */
const CLOCK_FIELDS = new Set(['at', 'waitedSec', 'longestWaitSec', 'estimatedWaitSec'])

/** A fingerprint of a status snapshot without the time-driven fields. */
export function statusFingerprint(status: StatusSnapshot): string {
  return JSON.stringify(status, (key, value: unknown) => (CLOCK_FIELDS.has(key) ? undefined : value))
}

/**
 * Notify `changes` whenever the status (sans clock fields) differs from the last sample. Returns a stop
 * function. The timer is unref'd so it never keeps the process alive.
 */
export function watchStatus(status: () => StatusSnapshot, changes: ChangeNotifier, intervalMs = 100): () => void {
  let last = statusFingerprint(status())
  const timer = setInterval(() => {
    if (changes.size === 0) return // nobody listens: skip the work
    let now: string
    try {
      now = statusFingerprint(status())
    } catch {
      return
    }
    if (now !== last) {
      last = now
      changes.notify()
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
