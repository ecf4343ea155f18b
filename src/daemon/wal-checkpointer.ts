/**
 * SQLite WAL checkpoints off the event loop (issue 13: the daemon's event-loop lateness at full scale).
 *
 * In WAL mode with synchronous=NORMAL a commit does not fsync; a *checkpoint* does (it copies the WAL's pages into the
 * database file and syncs both). SQLite runs one inside the COMMIT that takes the WAL past `wal_autocheckpoint` pages
 * (default 1,000), and better-sqlite3 is synchronous, so that COMMIT held the daemon's event loop for the disk: at
 * 10,000 waiting callers, COMMIT p99 13 ms, p99.9 62 ms, max 252 ms, 5.2 s of 16 s measured (bench/scale-daemon with
 * a timing hook on better-sqlite3's exec).
 *
 * Here the daemon's connection checkpoints only as a safety net (`SAFETY_NET_PAGES`), and a worker thread with its own
 * connection to the same file runs `PRAGMA wal_checkpoint(PASSIVE)` every `everyMs` (SQLite, wal.html: a PASSIVE
 * checkpoint "does as much work as possible without interfering with other database connections": it never takes the
 * writer's lock, so the daemon's transactions go on while it copies and syncs). When a checkpoint has copied every
 * frame, the next write transaction starts the WAL again from its beginning, so the file stays small. If the WAL still
 * grows past `restartPages` (writes never paused long enough), the worker runs one RESTART checkpoint, which waits
 * for the writer's lock (the daemon's next BEGIN IMMEDIATE waits for it) and resets the WAL.
 *
 * The worker is inline CommonJS (`eval`) so it runs the same from dist/ and from the TypeScript sources in tests;
 * better-sqlite3 is resolved here and its path handed over.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'

/** The daemon's own connection checkpoints only past this many WAL pages (4 KiB each: ~80 MB), if the worker fell behind. */
export const SAFETY_NET_PAGES = 20_000

export interface CheckpointerOptions {
  /** Milliseconds between PASSIVE checkpoints (default 100: the WAL starts again only after a checkpoint that ended
   * between two of the daemon's transactions, so it tries often; one with nothing to copy costs next to nothing). */
  everyMs?: number
  /** WAL pages beyond which the worker runs a RESTART checkpoint (default 8,000, ~32 MB). */
  restartPages?: number
  logger?: Logger
}

/** What the worker has done (for the bench and the logs). */
export interface CheckpointerStats {
  checkpoints: number
  restarts: number
  /** The most WAL pages seen at a checkpoint. */
  maxWalPages: number
  /** The WAL pages at the last checkpoint. */
  walPages: number
  /** The longest checkpoint, ms (on the worker's thread, not the event loop). */
  maxMs: number
  lastError: string | null
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { performance } = require('node:perf_hooks')
const Database = require(workerData.module)
const db = new Database(workerData.path, { fileMustExist: true })
db.pragma('busy_timeout = 5000')
const stats = { checkpoints: 0, restarts: 0, maxWalPages: 0, walPages: 0, maxMs: 0, lastError: null }
function checkpoint(mode) {
  const t0 = performance.now()
  const [row] = db.pragma('wal_checkpoint(' + mode + ')')
  const ms = performance.now() - t0
  stats.checkpoints++
  if (mode === 'RESTART') stats.restarts++
  stats.walPages = row.log
  stats.maxWalPages = Math.max(stats.maxWalPages, row.log)
  stats.maxMs = Math.max(stats.maxMs, ms)
  return row
}
function tick() {
  try {
    const row = checkpoint('PASSIVE')
    if (row.log > workerData.restartPages) checkpoint('RESTART')
    stats.lastError = null
  } catch (err) {
    stats.lastError = String((err && err.message) || err)
  }
  parentPort.postMessage(stats)
}
const timer = setInterval(tick, workerData.everyMs)
parentPort.on('message', (m) => {
  if (m !== 'stop') return
  clearInterval(timer)
  tick()
  db.close()
  parentPort.close()
})
`

/** A running checkpointer; `stop()` ends the worker after one last checkpoint. */
export class WalCheckpointer {
  readonly #worker: Worker
  #stats: CheckpointerStats = {
    checkpoints: 0,
    restarts: 0,
    maxWalPages: 0,
    walPages: 0,
    maxMs: 0,
    lastError: null,
  }
  #stopped: Promise<void> | undefined

  /** Starts the worker on the SQLite file `path` (already open, in WAL mode, by the daemon's store). */
  constructor(path: string, opts: CheckpointerOptions = {}) {
    const log = opts.logger
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        path,
        everyMs: opts.everyMs ?? 100,
        restartPages: opts.restartPages ?? 8_000,
      },
    })
    // The worker's timer must not keep the process up on its own (the daemon's own handles decide that).
    this.#worker.unref()
    let failing = false
    this.#worker.on('message', (s: CheckpointerStats) => {
      this.#stats = s
      if (s.lastError && !failing) log?.warn({ error: s.lastError }, 'WAL checkpoint failed; retrying')
      failing = !!s.lastError
    })
    this.#worker.on('error', (err) => log?.error({ err }, 'the WAL checkpoint worker stopped'))
  }

  get stats(): CheckpointerStats {
    return { ...this.#stats }
  }

  /** One last checkpoint, then the worker ends. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= new Promise<void>((resolve) => {
      this.#worker.once('exit', () => resolve())
      // Held until it has ended (unref'd, the process could exit first and skip the last checkpoint).
      this.#worker.ref()
      this.#worker.postMessage('stop')
      // A worker stuck on a lock is ended after the busy timeout.
      setTimeout(() => void this.#worker.terminate(), 6000).unref()
    })
    return this.#stopped
  }
}
