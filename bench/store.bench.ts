/**
 * The store's event transactions, SQLite against PostgreSQL: one call's typical write set per transaction
 * (ARRIVE: call record + event; RING: offer + event; CONNECT: call update + offer update + event; COMPLETE: call
 * update + event) — what the daemon writes per FreeSWITCH event.
 *
 *  - latency: one transaction at a time straight on the AsyncSqlDb, p50 / p99 per transaction;
 *  - throughput: the same events through the WriteQueue (enqueue all, time until drained), writes/s.
 *
 * SQLite: a file in a temp dir (BENCH_DB_DIR to choose, e.g. /dev/shm), synchronous NORMAL and FULL.
 * PostgreSQL: a private PostgreSQL 15 cluster (bench/helpers/private-postgres.ts) with fsync on, over TCP on
 * 127.0.0.1, synchronous_commit on (every commit flushed, like SQLite FULL) and off (like NORMAL: a crash of the
 * server may lose the last commits, never corrupt). Skipped with a message when PostgreSQL is not installed.
 *
 * Run: npm run bench -- store        (N=<calls>, default 500: 4 transactions per call)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Calls } from '../src/store/calls.js'
import { openDatabase } from '../src/store/db.js'
import { EventLog } from '../src/store/events.js'
import { transactionContext } from '../src/store/repo-context.js'
import { migratePg } from '../src/store/pg/migrate.js'
import { PgSqlDb } from '../src/store/pg/pg-db.js'
import type { AsyncSqlDb, SqlRunner } from '../src/store/sql/async-db.js'
import { SqliteSqlDb } from '../src/store/sql/sqlite-db.js'
import { WriteQueue } from '../src/store/write-queue.js'
import { RealClock } from '../src/util/clock.js'
import { PrivatePostgres, postgresUnavailable } from './helpers/private-postgres.js'
import { formatSummary, hostLine, summarize } from './helpers/stats.js'

const CALLS = Number(process.env.N ?? 500)
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0)

const repoBase = { clock: new RealClock(), logger: pino({ level: 'silent' }) }

/** The store's call-path repositories bound to one transaction (as `store.within(tx)` gives the daemon). */
function repos(dialect: AsyncSqlDb['dialect'], tx: SqlRunner): { calls: Calls; events: EventLog } {
  const ctx = transactionContext(tx, { dialect, ...repoBase })
  return { calls: new Calls(ctx), events: new EventLog(ctx) }
}

/** The four event transactions of call i, in order. */
function callEvents(dialect: AsyncSqlDb['dialect'], prefix: string, i: number): ((tx: SqlRunner) => Promise<void>)[] {
  const callId = `${prefix}-${i}`
  const at = T0 + i * 1000
  let offerId = 0
  return [
    async (tx) => {
      const r = repos(dialect, tx)
      await r.calls.start({
        callId,
        tenantId: 'default',
        queueId: 'q1',
        arrivedAt: at,
        enteredQueueAt: at + 10,
        callerNumber: '+46701234567',
      })
      await r.events.append({ at, callId, queueId: 'q1', event: 'ARRIVE', data: { callerNumber: '+46701234567' } })
    },
    async (tx) => {
      const r = repos(dialect, tx)
      offerId = (
        await r.calls.addOffer({
          callId,
          agentId: 'a1',
          offeredAt: at + 20,
          legUuid: `${callId}-leg`,
          device: 'softphone:1001',
        })
      ).id
      await r.events.append({ at: at + 20, callId, queueId: 'q1', agentId: 'a1', event: 'RING', data: { offerId } })
    },
    async (tx) => {
      const r = repos(dialect, tx)
      await r.calls.update(callId, { answeredAt: at + 5000, agentId: 'a1' })
      await r.calls.finishOffer(offerId, { result: 'answered', answeredAt: at + 5000 })
      await r.events.append({
        at: at + 5000,
        callId,
        queueId: 'q1',
        agentId: 'a1',
        event: 'CONNECT',
        data: { waitMs: 4990 },
      })
    },
    async (tx) => {
      const r = repos(dialect, tx)
      await r.calls.update(callId, { endedAt: at + 65_000, outcome: 'answered' })
      await r.events.append({
        at: at + 65_000,
        callId,
        queueId: 'q1',
        agentId: 'a1',
        event: 'COMPLETE',
        data: { talkMs: 60_000, by: 'caller' },
      })
    },
  ]
}

async function measure(label: string, db: AsyncSqlDb): Promise<void> {
  // warm-up: statement caches, connections
  for (const job of callEvents(db.dialect, 'warm', 0)) await db.transaction(job)
  const samples: number[] = []
  for (let i = 0; i < CALLS; i++) {
    for (const job of callEvents(db.dialect, 'lat', i)) {
      const t0 = performance.now()
      await db.transaction(job)
      samples.push(performance.now() - t0)
    }
  }
  console.log(formatSummary(`${label}: one event transaction`.padEnd(60), summarize(samples), 3))

  const q = new WriteQueue(db)
  const t0 = performance.now()
  for (let i = 0; i < CALLS; i++) for (const job of callEvents(db.dialect, 'q', i)) q.enqueue(`q-${i}`, job)
  const enqueuedMs = performance.now() - t0
  await q.drained()
  const ms = performance.now() - t0
  const n = CALLS * 4
  const h = q.health()
  if (h.written !== n || h.rejected !== 0)
    throw new Error(`${label}: wrote ${h.written} of ${n}, rejected ${h.rejected}`)
  console.log(
    `${`${label}: through the write queue`.padEnd(60)} ${n} transactions in ${ms.toFixed(0)} ms = ${((n / ms) * 1000).toFixed(0)} writes/s (enqueueing all took ${enqueuedMs.toFixed(1)} ms)`,
  )
  await q.close()
}

export default async function storeBench(): Promise<void> {
  console.log(hostLine())
  console.log(`${CALLS} calls × 4 event transactions (ARRIVE, RING, CONNECT, COMPLETE) per store\n`)
  const dir = mkdtempSync(join(process.env.BENCH_DB_DIR ?? tmpdir(), 'koplus-store-bench-'))
  try {
    for (const sync of ['NORMAL', 'FULL'] as const) {
      const db = new SqliteSqlDb(openDatabase(join(dir, `bench-${sync}.sqlite`), { synchronous: sync }))
      await db.run(
        "INSERT INTO queues (id, tenant_id, number, name, created_at) VALUES ('q1', 'default', '5000', 'Support', 1)",
      )
      await measure(`SQLite synchronous=${sync}`, db)
      await db.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }

  const missing = postgresUnavailable()
  if (missing) {
    console.log(`\nPostgreSQL: skipped — ${missing}`)
    return
  }
  const pg = new PrivatePostgres({ durable: true })
  try {
    await pg.init()
    await pg.start()
    console.log(
      `\nprivate PostgreSQL 15 (fsync on): initdb ${pg.initMs.toFixed(0)} ms, start ${pg.startMs.toFixed(0)} ms`,
    )
    for (const commit of ['on', 'off'] as const) {
      const url = await pg.createDatabase(`bench_${commit}`)
      const db = new PgSqlDb(url)
      await db.run(`ALTER DATABASE bench_${commit} SET synchronous_commit = ${commit}`)
      await db.close()
      const fresh = new PgSqlDb(url) // the setting applies to new sessions
      await migratePg(fresh)
      await measure(`PostgreSQL synchronous_commit=${commit}`, fresh)
      await fresh.close()
    }
  } finally {
    await pg.destroy()
  }
}
