/**
 * The one place commands leave the daemon for FreeSWITCH: the adapter and the rebuild talk to the ESL client only
 * through this EslPort. While the daemon may not command (a standby, a fenced leader, a new leader inside its
 * takeover grace: ./leadership.ts) every call-control command is refused here, before a byte is written, and
 * counted; the read-only `api` commands a rebuild and the status pages use (`show …`, `uuid_exists`, `uuid_getvar`,
 * `uuid_dump`, `status`, `sofia status …`) pass, since they change nothing in FreeSWITCH.
 */
import { KoplusError } from '../errors.js'
import type { BgapiResult } from '../freeswitch/esl/background-jobs.js'
import type { ExecutionDone, ExecutionResult } from '../freeswitch/esl/executions.js'
import { executeVia, type EslPort } from '../freeswitch/adapter/port.js'

/** `api` commands that only read FreeSWITCH's state. */
const READ_ONLY_API =
  /^(show|uuid_exists|uuid_getvar|uuid_dump|status|sofia status|global_getvar|module_exists|version|hostname)(\s|$)/

export function isReadOnlyApi(command: string): boolean {
  return READ_ONLY_API.test(command.trimStart())
}

/** A command refused because this daemon does not lead (or not yet / no longer). */
export class NotLeaderError extends KoplusError {
  override readonly name = 'NotLeaderError'
  declare readonly code: 'KOPLUS_NOT_LEADER'
  constructor(command: string) {
    super('KOPLUS_NOT_LEADER', `not sent to FreeSWITCH (this daemon does not lead): ${command.split(/\s/, 1)[0]}`)
  }
}

export interface GateCounters {
  /** Commands sent (call control; read-only api not counted). */
  sent: number
  /** Commands refused because the daemon did not lead. */
  refused: number
}

/**
 * Wraps `client` so that call control goes out only while `mayCommand()` is true (checked synchronously, at the
 * moment of sending). Refused commands reject with NotLeaderError; the caller (the adapter) logs and moves on.
 */
export function gatedPort(client: EslPort, mayCommand: () => boolean): EslPort & { readonly counters: GateCounters } {
  const counters: GateCounters = { sent: 0, refused: 0 }
  const allow = (what: string): void => {
    if (!mayCommand()) {
      counters.refused++
      throw new NotLeaderError(what)
    }
    counters.sent++
  }
  return {
    counters,
    api(command: string): Promise<string> {
      if (isReadOnlyApi(command)) return client.api(command)
      try {
        allow(command)
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)))
      }
      return client.api(command)
    },
    bgapi(command: string): Promise<BgapiResult> {
      try {
        allow(command)
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)))
      }
      return client.bgapi(command)
    },
    execute(uuid: string, app: string, arg?: string, opts?: { loops?: number }): Promise<ExecutionResult> {
      try {
        allow(`execute ${app}`)
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)))
      }
      return client.execute(uuid, app, arg, opts)
    },
    executeThen(
      uuid: string,
      app: string,
      arg: string | undefined,
      opts: { loops?: number } | undefined,
      done: ExecutionDone,
    ): void {
      try {
        allow(`execute ${app}`)
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err))
        queueMicrotask(() => done(e))
        return
      }
      executeVia(client, uuid, app, arg, opts, done)
    },
    sendmsg(uuid: string, headers: Record<string, string>, body?: string): Promise<string> {
      try {
        allow(`sendmsg ${headers['call-command'] ?? ''}`)
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)))
      }
      return client.sendmsg(uuid, headers, body)
    },
  }
}
