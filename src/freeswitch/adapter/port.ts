/**
 * The slice of the ESL client (src/freeswitch/esl/client.ts, EslClient) the adapter uses; tests pass a recording
 * fake. Every method writes its command to the socket synchronously when called (EslClient#send), so commands
 * issued one after the other without awaiting reach FreeSWITCH in that order.
 */
import type { BgapiResult } from '../esl/background-jobs.js'
import type { ExecutionDone, ExecutionResult } from '../esl/executions.js'

export interface EslPort {
  /** `api <command>`: the response body (an api body may itself start with `-ERR`). */
  api(command: string): Promise<string>
  /** `bgapi <command>`: settles with the BACKGROUND_JOB body (`ok` false for -ERR). */
  bgapi(command: string): Promise<BgapiResult>
  /**
   * sendmsg execute with event-lock and the client's own Event-UUID; settles when the application ends, rejects
   * with code ESL_CHANNEL_GONE if the channel hangs up first.
   */
  execute(uuid: string, app: string, arg?: string, opts?: { loops?: number }): Promise<ExecutionResult>
  /**
   * execute() with a callback called once, never synchronously (EslClient#executeThen): no promise per execution,
   * for the hold music of every waiting caller. Optional: a port without it is used through execute().
   */
  executeThen?(
    uuid: string,
    app: string,
    arg: string | undefined,
    opts: { loops?: number } | undefined,
    done: ExecutionDone,
  ): void
  /** Raw sendmsg (call-command: hangup …). */
  sendmsg(uuid: string, headers: Record<string, string>, body?: string): Promise<string>
}

/** Runs `execute` through the port's executeThen when it has one, else through its promise. */
export function executeVia(
  port: EslPort,
  uuid: string,
  app: string,
  arg: string | undefined,
  opts: { loops?: number } | undefined,
  done: ExecutionDone,
): void {
  if (port.executeThen) port.executeThen(uuid, app, arg, opts, done)
  else
    port.execute(uuid, app, arg, opts).then(
      (result) => done(undefined, result),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    )
}
