/**
 * bgapi jobs waiting for their BACKGROUND_JOB event. We choose the Job-UUID ourselves (a
 * `Job-UUID:` header on the bgapi command, as in inbound-bgapi's `bgapi version`) and register
 * the waiter before the command is written, so the event can never be missed.
 */
import type { Clock, TimerHandle } from '../../util/clock.js'
import type { EslEvent } from './event.js'
import { EslTimeoutError } from './errors.js'

/** The outcome of a bgapi command: `ok` is false when the body starts with -ERR or -USAGE. */
export interface BgapiResult {
  ok: boolean
  body: string
  jobUuid: string
}

interface Job {
  resolve: (r: BgapiResult) => void
  reject: (e: Error) => void
  timer: TimerHandle | undefined
}

export class BackgroundJobs {
  #jobs = new Map<string, Job>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  get size(): number {
    return this.#jobs.size
  }

  /** Registers the waiter of job `jobUuid`; `timeoutMs` > 0 rejects with EslTimeoutError. */
  register(jobUuid: string, label: string, timeoutMs?: number): Promise<BgapiResult> {
    return new Promise<BgapiResult>((resolve, reject) => {
      const job: Job = { resolve, reject, timer: undefined }
      if (timeoutMs !== undefined && timeoutMs > 0) {
        job.timer = this.#clock.setTimeout(() => {
          if (this.#jobs.get(jobUuid) === job) {
            this.#jobs.delete(jobUuid)
            reject(new EslTimeoutError(label, timeoutMs))
          }
        }, timeoutMs)
      }
      this.#jobs.set(jobUuid, job)
    })
  }

  /** Drops a waiter whose bgapi command failed; it is not settled (the caller rejects instead). */
  cancel(jobUuid: string): void {
    const job = this.#jobs.get(jobUuid)
    if (!job) return
    this.#clock.clearTimeout(job.timer)
    this.#jobs.delete(jobUuid)
  }

  /** Feeds an event; a BACKGROUND_JOB for a registered Job-UUID settles its waiter. */
  onEvent(ev: EslEvent): boolean {
    if (ev.name !== 'BACKGROUND_JOB') return false
    const jobUuid = ev.get('Job-UUID')
    if (jobUuid === undefined) return false
    const job = this.#jobs.get(jobUuid)
    if (!job) return false
    this.#jobs.delete(jobUuid)
    this.#clock.clearTimeout(job.timer)
    const body = ev.body ?? ''
    job.resolve({ ok: !/^-(ERR|USAGE)/.test(body), body, jobUuid })
    return true
  }

  /** Rejects every waiting job (connection lost). */
  flush(err: Error): void {
    const all = [...this.#jobs.values()]
    this.#jobs.clear()
    for (const job of all) {
      this.#clock.clearTimeout(job.timer)
      job.reject(err)
    }
  }
}
