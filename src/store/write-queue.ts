/**
 * The ordered write queue between the call path and the store (issue 12: "Nothing on the call path waits for
 * PostgreSQL"). The daemon sends its commands to FreeSWITCH first, then enqueue()s the event's writes and goes on:
 * enqueue() returns at once. A single worker applies the jobs in order, each in ONE transaction.
 *
 * - Outage: a job that fails for a connection reason (the server is down, restarting, unreachable) is kept at the
 *   head and retried with backoff (retryMinMs doubling up to retryMaxMs) until it commits; later jobs wait behind
 *   it, so order is kept and nothing is dropped. health() turns 'degraded' with the queue length and the error, an
 *   error is logged when the outage starts and a warning every `logEveryMs` while it lasts; 'ok' again once the
 *   queue has drained ('recovered' event, info log).
 * - Exactly once: every job's transaction also advances this writer's row in koplus_writer (writer id, last
 *   sequence number applied). A retry whose first attempt did commit (the connection broke after COMMIT reached the
 *   server) finds its sequence number already applied and is skipped, not applied twice.
 * - A job that fails for another reason (a constraint, a bug: retrying cannot help) is rolled back, logged with its
 *   label and kept in rejected() for the health report; the jobs after it go on.
 * - Group commit: when jobs are waiting behind the one being written (a burst, or an outage just ended), up to
 *   `maxBatch` of them are written in ONE transaction, still in order, each still all or nothing (the koplus_writer
 *   row advances to the batch's last sequence number). One commit (one fsync on PostgreSQL) then carries many
 *   events, so the queue keeps up with bursts far above one event per commit latency. If a job of a batch fails for
 *   a reason retrying cannot cure, the batch is rolled back and its jobs are written one by one, so only that job
 *   is rejected.
 * - Careful retry: that holds for a batch of one too. A job's first attempt runs with `careful: false`; if it fails
 *   for a reason retrying cannot cure, it runs once more, alone, with `careful: true`, and is rejected only if that
 *   fails too. So a job of many writes need not pay for a savepoint per write on every attempt (each one a round
 *   trip on PostgreSQL; src/daemon/persist.ts) to be able to skip just the bad one.
 * - Short turns on SQLite (issue 13, the daemon's event-loop lateness): SQLite's statements run on the event loop, so
 *   a transaction is one synchronous stretch. Past `sliceMs` of jobs it commits with the jobs done so far (the rest
 *   go in the next), and the queue yields to the event loop between transactions: a backlog of thousands of jobs
 *   used to be written in one turn (every await resolved at once), holding ESL events and timers for 100+ ms.
 *   PostgreSQL's statements are waits, not work: no budget there.
 * - Group commit on SQLite under load (groupMs, the daemon's SQLITE_GROUP_MS): while the queue commits more than
 *   groupAbovePerSec transactions a second, jobs that come one by one are gathered for up to groupMs after the last
 *   commit, so a transaction carries many of them; each commit rewrites every page it touched into the WAL, and
 *   hundreds of small commits a second were most of the store's cost. A full batch waiting is written at once; a
 *   quiet store writes at once. PostgreSQL gathers by itself while it waits on the network: no window there.
 * - Memory bound: past maxQueued jobs, enqueue() still accepts (a call is never refused for the store) but
 *   health() reports 'overflow' so an operator is paged before memory runs out.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { AsyncSqlDb, SqlRunner } from './sql/async-db.js'

/**
 * One job. `attempt.careful` is false on the first, optimistic attempt and true when the job is run again alone
 * after an attempt failed for a reason retrying cannot cure (see "Careful retry" above): a job made of several
 * independent writes may then guard each with a savepoint, so that only the failing one is skipped. A job that
 * ignores it is simply run once more.
 */
export type WriteJob = (tx: SqlRunner, attempt: { careful: boolean }) => Promise<void>

export interface WriteQueueHealth {
  /** ok: empty or draining normally; degraded: the store is failing and writes are queued; overflow: degraded past maxQueued. */
  state: 'ok' | 'degraded' | 'overflow'
  /** Jobs waiting (including the one being written). */
  queued: number
  /** Jobs committed since start. */
  written: number
  /** Jobs given up for a non-retryable error (kept in rejected()). */
  rejected: number
  /** Failed attempts since start. */
  failures: number
  /** Epoch ms when the current outage began (the first failure of the head job), if degraded. */
  degradedSince: number | null
  /** The last connection error's message (never the URL or a password). */
  lastError: string | null
}

export interface WriteQueueOptions {
  logger?: Logger
  /** Unique per daemon process (default: random). Recorded in koplus_writer for exactly-once retries. */
  writerId?: string
  retryMinMs?: number
  retryMaxMs?: number
  /** Above this many queued jobs health() says 'overflow' (default 100000). */
  maxQueued?: number
  logEveryMs?: number
  /** Wall clock for degradedSince (default Date.now); the queue's timing uses timers only. */
  now?: () => number
  /** At most this many waiting jobs are written in one transaction (default 64; 1 = one transaction per job). */
  maxBatch?: number
  /** SQLite: a transaction commits once its jobs have taken this many ms (default 2; see the file header). */
  sliceMs?: number
  /**
   * SQLite: group commit under load. While more than groupAbovePerSec transactions a second are committed, the next
   * one starts no sooner than groupMs after the last, unless maxBatch jobs are already waiting (default 0: never;
   * the daemon uses SQLITE_GROUP_MS). See the file header.
   */
  groupMs?: number
  /** The commit rate (per second) above which groupMs applies (default 100; 0: always). */
  groupAbovePerSec?: number
  /** Monotonic ms for sliceMs and groupMs (default performance.now; tests). */
  monotonic?: () => number
}

/**
 * The daemon's SQLite group-commit window (ms). At 200 arrivals/s the jobs came ~2.6 to a transaction, 371–419
 * commits a second, and BEGIN/COMMIT (the WAL writes of every page a transaction touched) was the biggest single
 * cost on the daemon's event loop after the collector; with this window above 100 commits a second it settles at
 * ~104 commits a second for the same writes (issue 13, bench/scale-daemon). It only delays: a job is written at
 * most 10 ms later, as one of a batch.
 */
export const SQLITE_GROUP_MS = 10

/** How many recent commit instants the queue keeps to know its commit rate (groupAbovePerSec is at most this). */
const RATE_WINDOW = 256

interface Entry {
  seq: number
  label: string
  job: WriteJob
}

/**
 * SQLSTATE classes and node errors that mean "the store is not reachable now", worth retrying:
 * 08 connection exception, 57P01-57P03 admin shutdown / crash shutdown / cannot connect now, 53 insufficient
 * resources, 40001/40P01 serialization failure / deadlock; plus socket errors and pg's own connection errors.
 * SQLite: SQLITE_BUSY / SQLITE_LOCKED (another connection holds the lock past busy_timeout).
 */
export function isRetryable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  if (/^(08|53)/.test(code) || ['57P01', '57P02', '57P03', '40001', '40P01'].includes(code)) return true
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EAI_AGAIN',
    ].includes(code)
  )
    return true
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true
  const msg = typeof e?.message === 'string' ? e.message : ''
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)|Connection ended/i.test(
    msg,
  )
}

const WRITER_TABLE = `CREATE TABLE IF NOT EXISTS koplus_writer (writer TEXT PRIMARY KEY, last_seq BIGINT NOT NULL, updated_at BIGINT NOT NULL)`

export class WriteQueue extends EventEmitter {
  readonly writerId: string
  readonly #db: AsyncSqlDb
  readonly #log: Logger | undefined
  readonly #entries: Entry[] = []
  readonly #rejected: { seq: number; label: string; error: string }[] = []
  readonly #opts: Required<Omit<WriteQueueOptions, 'logger' | 'writerId'>>
  #seq = 0
  #written = 0
  #commits = 0
  /** When the last RATE_WINDOW transactions committed (monotonic ms, a ring), for groupMs. */
  readonly #commitTimes = new Float64Array(RATE_WINDOW).fill(-Infinity)
  /** Jobs of a batch that failed for a non-retryable reason are written one by one until this sequence number. */
  #singleUntil = 0
  #failures = 0
  #degradedSince: number | null = null
  #lastError: string | null = null
  #lastLogAt = 0
  #running = false
  #closed = false
  #ready: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #wake: (() => void) | null = null

  constructor(db: AsyncSqlDb, opts: WriteQueueOptions = {}) {
    super()
    this.#db = db
    this.#log = opts.logger
    this.writerId = opts.writerId ?? `w_${randomBytes(8).toString('hex')}`
    this.#opts = {
      retryMinMs: opts.retryMinMs ?? 100,
      retryMaxMs: opts.retryMaxMs ?? 5000,
      maxQueued: opts.maxQueued ?? 100_000,
      logEveryMs: opts.logEveryMs ?? 30_000,
      now: opts.now ?? Date.now,
      maxBatch: Math.max(1, opts.maxBatch ?? 64),
      sliceMs: opts.sliceMs ?? 2,
      groupMs: Math.max(0, opts.groupMs ?? 0),
      groupAbovePerSec: Math.min(RATE_WINDOW, Math.max(0, Math.floor(opts.groupAbovePerSec ?? 100))),
      monotonic: opts.monotonic ?? (() => performance.now()),
    }
  }

  /** Queue one event's writes (one transaction); returns its sequence number. Never waits, never throws for the store. */
  enqueue(label: string, job: WriteJob): number {
    if (this.#closed) throw new Error('the write queue is closed')
    const seq = ++this.#seq
    this.#entries.push({ seq, label, job })
    if (this.#entries.length === this.#opts.maxQueued + 1) {
      this.#log?.error(
        { queued: this.#entries.length, maxQueued: this.#opts.maxQueued },
        'the store write queue passed its limit; writes are kept in memory',
      )
    }
    void this.#pump()
    return seq
  }

  health(): WriteQueueHealth {
    const queued = this.#entries.length
    const degraded = this.#degradedSince !== null
    return {
      state: degraded ? (queued > this.#opts.maxQueued ? 'overflow' : 'degraded') : 'ok',
      queued,
      written: this.#written,
      rejected: this.#rejected.length,
      failures: this.#failures,
      degradedSince: this.#degradedSince,
      lastError: this.#lastError,
    }
  }

  /** Transactions committed since start (fewer than jobs written when bursts were grouped). */
  get commits(): number {
    return this.#commits
  }

  rejected(): readonly { seq: number; label: string; error: string }[] {
    return this.#rejected
  }

  /** Resolves once every job queued so far is written (or rejected). */
  drained(): Promise<void> {
    if (this.#entries.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.once('drained', resolve))
  }

  /** Stop after the current attempt; jobs still queued are reported (and lost only if the process then exits). */
  async close(): Promise<number> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#wake?.()
    const left = this.#entries.length
    if (left) this.#log?.error({ queued: left }, 'the store write queue closed with writes not yet written')
    return left
  }

  #ensureWriterTable(): Promise<void> {
    this.#ready ??= this.#db.run(WRITER_TABLE).then(
      () => undefined,
      (err) => {
        this.#ready = null
        throw err
      },
    )
    return this.#ready
  }

  async #pump(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      let delay = this.#opts.retryMinMs
      while (!this.#closed && this.#entries.length > 0) {
        await this.#groupWait()
        if (this.#closed) break
        const head = this.#entries[0]
        let batch: Entry[] = [head]
        try {
          await this.#ensureWriterTable()
          // Formed after the await: the jobs queued meanwhile join this transaction.
          const size = head.seq <= this.#singleUntil ? 1 : Math.min(this.#opts.maxBatch, this.#entries.length)
          batch = this.#entries.slice(0, size)
          batch = batch.slice(0, await this.#apply(batch))
          this.#entries.splice(0, batch.length)
          this.#written += batch.length
          this.#commitTimes[this.#commits % RATE_WINDOW] = this.#opts.monotonic()
          this.#commits++
          delay = this.#opts.retryMinMs
          for (const e of batch) this.emit('written', e.seq, e.label)
          // A turn of the event loop between transactions (see the file header).
          if (this.#entries.length > 0) await new Promise<void>((resolve) => setImmediate(resolve))
        } catch (err) {
          this.#failures++
          if (isRetryable(err)) {
            this.#markDegraded(err, head)
            await this.#sleep(delay)
            delay = Math.min(delay * 2, this.#opts.retryMaxMs)
            continue
          }
          if (head.seq > this.#singleUntil) {
            // Which job failed is not known from outside the transaction: write these one by one, carefully.
            this.#singleUntil = batch[batch.length - 1].seq
            continue
          }
          this.#entries.shift()
          const error = (err as Error)?.message ?? String(err)
          this.#rejected.push({ seq: head.seq, label: head.label, error })
          this.#log?.error(
            { err, seq: head.seq, label: head.label },
            'a store write failed and cannot succeed by retrying; it was rolled back and skipped',
          )
          this.emit('rejected', head.seq, head.label, err)
        }
      }
      if (this.#entries.length === 0) {
        if (this.#degradedSince !== null) {
          this.#log?.info(
            { outageMs: this.#opts.now() - this.#degradedSince, written: this.#written },
            'the store is reachable again; the queued writes are written',
          )
          this.#degradedSince = null
          this.#lastError = null
          this.emit('recovered')
        }
        this.emit('drained')
      }
    } finally {
      this.#running = false
    }
  }

  /** Writes the batch, or its first jobs when SQLite's sliceMs runs out, in one transaction; returns how many. */
  async #apply(batch: readonly Entry[]): Promise<number> {
    const budget = this.#db.dialect === 'sqlite' ? this.#opts.sliceMs : Infinity
    let count = batch.length
    await this.#db.transaction(async (tx) => {
      count = batch.length
      const done = await tx.get<{ last_seq: number }>('SELECT last_seq FROM koplus_writer WHERE writer = ?', [
        this.writerId,
      ])
      const applied = done ? Number(done.last_seq) : 0
      if (applied >= batch[batch.length - 1].seq) return // committed by an attempt whose acknowledgement was lost
      const careful = batch.length === 1 && batch[0].seq <= this.#singleUntil
      const started = this.#opts.monotonic()
      for (let i = 0; i < batch.length; i++) {
        if (batch[i].seq > applied) await batch[i].job(tx, { careful })
        if (i < batch.length - 1 && this.#opts.monotonic() - started >= budget) {
          count = i + 1
          break
        }
      }
      const last = batch[count - 1].seq
      await tx.run(
        'INSERT INTO koplus_writer (writer, last_seq, updated_at) VALUES (?, ?, ?) ON CONFLICT (writer) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at',
        [this.writerId, last, this.#opts.now()],
      )
    })
    return count
  }

  #markDegraded(err: unknown, head: Entry): void {
    this.#lastError = (err as Error)?.message ?? String(err)
    const now = this.#opts.now()
    if (this.#degradedSince === null) {
      this.#degradedSince = now
      this.#lastLogAt = now
      this.#log?.error(
        { err, queued: this.#entries.length, seq: head.seq },
        'the store is unreachable: writes are queued in memory and retried (calls go on)',
      )
      this.emit('degraded', this.health())
    } else if (now - this.#lastLogAt >= this.#opts.logEveryMs) {
      this.#lastLogAt = now
      this.#log?.warn(
        { queued: this.#entries.length, since: this.#degradedSince, lastError: this.#lastError },
        'the store is still unreachable; writes queued',
      )
    }
  }

  /**
   * SQLite's group commit: under load (more than groupAbovePerSec commits in the last second) waits out the rest of
   * groupMs since the last commit, unless a full batch is waiting. A quiet store writes at once, so a change is in
   * the file when the next read comes (an operator's, a test's).
   */
  async #groupWait(): Promise<void> {
    const { groupMs, groupAbovePerSec, maxBatch, monotonic } = this.#opts
    if (groupMs <= 0 || this.#db.dialect !== 'sqlite' || this.#entries.length >= maxBatch) return
    const n = this.#commits
    const now = monotonic()
    if (
      groupAbovePerSec > 0 &&
      !(now - this.#commitTimes[(n - groupAbovePerSec + RATE_WINDOW * 2) % RATE_WINDOW] < 1000)
    )
      return
    const wait = this.#commitTimes[(n - 1 + RATE_WINDOW) % RATE_WINDOW] + groupMs - now
    if (wait > 0) await this.#sleep(wait)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
      // Not unref'd: while writes are pending, the process stays up to write them.
      this.#timer = setTimeout(resolve, ms)
    })
  }
}
