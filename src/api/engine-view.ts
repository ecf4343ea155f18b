/**
 * What the API may see of the running engine, and how it feeds it: a narrow read-only view (status, the login
 * check, the FreeSWITCH link) plus a way to submit events and have the configuration reloaded. The API never
 * receives the engine class itself (issue 11 item 3); `engineViewOf` is the one place that reads the daemon.
 */
import type { Command } from '../core/commands.js'
import type { CoreEvent } from '../core/events.js'
import type { CenterStatus } from '../core/engine/status.js'
import type { Daemon } from '../daemon/index.js'

/** The login check's answer (plan, membership), as the engine gives it. */
export type LoginCheck = { ok: true; queueIds: string[] } | { ok: false; reason: string; message: string }

/** Whether the daemon is connected to FreeSWITCH, where, and why not (src/daemon/daemon.ts FreeSwitchState). */
export interface FreeSwitchLink {
  address: string
  connected: boolean
  lastError?: string
  rebuiltAt?: number
  /** Per FreeSWITCH node (src/daemon/freeswitch-link.ts FreeSwitchNodeState). */
  nodes?: {
    id: string
    address: string
    connected: boolean
    lastError?: string
    rebuiltAt?: number
    lost: boolean
    calls: number
    legs: number
    registrations: number
  }[]
}

/** This daemon's role among several sharing one PostgreSQL (src/daemon/leadership.ts LeadershipState). */
export interface LeadershipView {
  role: 'starting' | 'standby' | 'leader' | 'fenced'
  nodeId: string
  leader?: { nodeId: string; api?: string }
  since?: number
  lastError?: string
}

/** The store's health (src/store/index.ts StoreHealth): backend and the call path's write queue. */
export interface StoreHealthView {
  backend: 'sqlite' | 'postgres'
  writes: {
    state: 'ok' | 'degraded' | 'overflow'
    queued: number
    written: number
    rejected: number
    failures: number
    degradedSince: number | null
    lastError: string | null
  }
}

/** Read-only: what the API reads from the engine. */
export interface EngineView {
  /** Queue and agent status now; `callers: false` leaves out the list of every waiting caller (counts only). */
  status(opts?: { callers?: boolean }): CenterStatus
  /** Whether the agent may log in to these queues (all of its queues when absent). */
  checkLogin(agentId: string, queueIds?: string[]): LoginCheck
  /** The daemon's FreeSWITCH connection now (absent: no switch in this process). */
  freeswitch(): FreeSwitchLink | undefined
  /** Active/standby: this daemon's role and who leads (absent for a single daemon, which always leads). */
  leadership?(): LeadershipView
  /** The store's health: backend, write-queue state, queued writes, degraded since (absent: no store here). */
  store?(): StoreHealthView
}

/** The API's way in: events to the engine, and a reload after an operator change. */
export interface EngineFeed {
  /**
   * Runs the engine on one event now; resolves with its commands (a `rejected` one refuses the request) once the
   * event's writes are in the store (or queued while the store is unreachable).
   */
  submit(event: CoreEvent): Promise<readonly Command[]>
  /** Re-reads the configuration from the store into the engine. */
  reloadConfig(): unknown
}

/** The view and feed of a running daemon, with nothing else of it. */
export function engineViewOf(
  daemon: Pick<Daemon, 'center' | 'clock' | 'dispatch' | 'reloadConfig' | 'status' | 'freeswitch'> &
    Partial<Pick<Daemon, 'leadership' | 'store' | 'persisted'>>,
): EngineView & EngineFeed {
  const lead = daemon.leadership
  const store = daemon.store
  return {
    ...(lead ? { leadership: () => lead.state() } : {}),
    ...(store ? { store: () => store.health() } : {}),
    status: (opts) => (opts ? daemon.center.status(daemon.clock.now(), opts) : daemon.status()),
    checkLogin: (agentId, queueIds) => daemon.center.checkLogin(agentId, queueIds),
    freeswitch: () => (daemon.freeswitch ? { ...daemon.freeswitch } : undefined),
    submit: async (event) => {
      const commands = daemon.dispatch(event)
      await daemon.persisted?.()
      return commands
    },
    reloadConfig: () => daemon.reloadConfig(),
  }
}
