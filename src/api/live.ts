/**
 * What the API needs from the running daemon, besides the Store: apply configuration changes, hand operator
 * actions to the engine, read its status, and hear about changes (for the SSE stream and metrics).
 *
 * Contract: an operator change is first written to the Store (durable), then `reloadConfig()` is awaited, and
 * only then is the HTTP response sent — so what the API acknowledges is both durable and live.
 */
import type { CoreEvent } from '../core/events.js'
import type { CenterStatus } from '../core/engine/status.js'
import type {
  EngineFeed,
  EngineView,
  FreeSwitchLink,
  LeadershipView,
  LoginCheck,
  StoreHealthView,
} from './engine-view.js'
import { statusFingerprint } from './status-watch.js'

export type { FreeSwitchLink, LeadershipView, StoreHealthView }

export type StatusSnapshot = CenterStatus | Record<string, unknown>

export interface LiveControl {
  /** Rebuild the engine's configuration from the Store (after every operator change). */
  reloadConfig(): Promise<void> | void
  /**
   * Hand an event to the engine (agent login/logout/pause/device/end-wrapup, reevaluate). May return (or resolve to)
   * the engine's commands; a `rejected` command among them makes the API refuse the request with its message.
   */
  dispatch(event: CoreEvent): unknown
  /** The engine's status now. */
  status(): StatusSnapshot
  /** The daemon's connection to FreeSWITCH (absent when the API runs without a daemon). */
  freeswitch?(): FreeSwitchLink
  /** Active/standby: this daemon's role and who leads (absent for a single daemon). */
  leadership?(): LeadershipView
  /** The store's health: backend and the write queue (absent when the API runs without a daemon). */
  store?(): StoreHealthView
  /** Whether the agent may log in (plan, membership); the engine's login check (EngineView.checkLogin). */
  checkLogin?(agentId: string, queueIds?: string[]): LoginCheck
  /** Subscribe to engine state changes; returns an unsubscribe function. */
  onChange(listener: () => void): () => void
  /**
   * A test call to a queue number through FreeSWITCH's dialplan (src/doctor checkQueueRouting): warnings when it
   * does not reach koplus. Absent (tests, no switch): only the static checks run.
   */
  routeCheck?(number: string): Promise<string[]>
}

/** A tiny listener list the daemon can own: call `notify()` after every event the engine handled. */
export class ChangeNotifier {
  #listeners = new Set<() => void>()
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }
  notify(): void {
    for (const l of [...this.#listeners]) {
      try {
        l()
      } catch {
        // a listener's failure (a closed SSE socket) must not disturb the engine
      }
    }
  }
  get size(): number {
    return this.#listeners.size
  }
}

/**
 * LiveControl over the engine's view and feed (engineViewOf(daemon), src/api/engine-view.ts). `changes` is notified after every change the API makes and — until the daemon
 * calls `changes.notify()` itself after each handled event — by a watcher that compares the status snapshot every
 * `watchMs` while anybody listens (so calls arriving and ending reach the SSE stream too); `watchMs: 0` turns the
 * watcher off (e.g. when the daemon notifies, or src/api/status-watch.ts is wired instead).
 */
export function daemonLive(
  engine: EngineView & EngineFeed,
  changes: ChangeNotifier,
  opts: { watchMs?: number } = {},
): LiveControl & { stop(): void } {
  const watchMs = opts.watchMs ?? 250
  let last = ''
  let memo: StatusSnapshot | undefined
  let timer: NodeJS.Timeout | undefined
  const fingerprint = (): string => statusFingerprint(engine.status())
  const watch = (): void => {
    if (watchMs <= 0 || timer || changes.size === 0) return
    last = fingerprint()
    timer = setInterval(() => {
      if (changes.size === 0) {
        clearInterval(timer)
        timer = undefined
        return
      }
      const now = fingerprint()
      if (now !== last) {
        last = now
        changes.notify()
      }
    }, watchMs)
    timer.unref()
  }
  return {
    reloadConfig: async () => {
      await engine.reloadConfig()
      memo = undefined
      changes.notify()
    },
    dispatch: async (event) => {
      memo = undefined
      const commands = await engine.submit(event)
      memo = undefined
      changes.notify()
      return commands
    },
    status: () => {
      // One snapshot per turn of the event loop, shared by every stream and request in that turn (issue 13: at
      // 10,000 callers a snapshot costs milliseconds; ten wallboards notified together need it once). Engine events
      // and API actions run in other turns; an action through `dispatch` drops it at once.
      if (memo === undefined) {
        memo = engine.status()
        setImmediate(() => (memo = undefined))
      }
      return memo
    },
    freeswitch: () =>
      engine.freeswitch() ?? { address: '-', connected: false, lastError: 'no FreeSWITCH connection in this process' },
    checkLogin: (agentId, queueIds) => engine.checkLogin(agentId, queueIds),
    ...(engine.leadership ? { leadership: () => engine.leadership!() } : {}),
    ...(engine.store ? { store: () => engine.store!() } : {}),
    onChange: (l) => {
      const off = changes.subscribe(l)
      watch()
      return off
    },
    stop: () => {
      if (timer) clearInterval(timer)
      timer = undefined
    },
  }
}
