/**
 * The write queue's health signal and logs without a server (a store that refuses every connection), and the
 * placeholder rewriting for PostgreSQL.
 */
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { toNumberedParams, type AsyncSqlDb } from '../../src/store/sql/async-db.js'
import { WriteQueue } from '../../src/store/write-queue.js'

/** A store whose every call fails as a refused connection does; `up()` lets calls through (doing nothing). */
function refusingDb(): AsyncSqlDb & { up(): void } {
  let up = false
  const refuse = async (): Promise<never> => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
  }
  const db = {
    dialect: 'postgres' as const,
    up: () => {
      up = true
    },
    all: async () => (up ? [] : refuse()),
    get: async () => (up ? undefined : refuse()),
    run: async () => (up ? { changes: 0 } : refuse()),
    transaction: async <T>(fn: (tx: AsyncSqlDb) => Promise<T>): Promise<T> => (up ? fn(db) : refuse()),
    version: async () => 3,
    close: async () => undefined,
  }
  return db
}

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)))
      cb()
    },
  })
  return { logger: pino({ level: 'info' }, stream), lines }
}

t.test(
  'degraded is loud: one error log when the outage begins, overflow past maxQueued, info when recovered',
  async (t) => {
    const db = refusingDb()
    const { logger, lines } = capture()
    const q = new WriteQueue(db, { logger, retryMinMs: 1, retryMaxMs: 2, maxQueued: 2, now: () => 1000 })
    t.teardown(() => q.close())
    let ran = 0
    const degraded = new Promise((resolve) => q.once('degraded', resolve))
    for (let i = 0; i < 3; i++)
      q.enqueue(`job ${i}`, async () => {
        ran++
      })
    t.match(await degraded, {
      state: 'overflow',
      queued: 3,
      degradedSince: 1000,
      lastError: 'connect ECONNREFUSED 127.0.0.1:5432',
    })
    t.equal(q.health().state, 'overflow', 'more queued than maxQueued')
    const errors = lines.filter((l) => l.level === 50)
    t.equal(errors.length, 2, 'one error for passing maxQueued, one for the outage')
    t.match(
      errors.find((l) => /unreachable/.test(String(l.msg))),
      { err: { message: 'connect ECONNREFUSED 127.0.0.1:5432' }, queued: 3 },
    )
    const recovered = new Promise((resolve) => q.once('recovered', resolve))
    db.up()
    await recovered
    t.equal(ran, 3)
    t.match(q.health(), { state: 'ok', queued: 0, written: 3, degradedSince: null })
    t.ok(q.health().failures >= 1, 'retried while down')
    t.ok(lines.some((l) => l.level === 30 && /reachable again/.test(String(l.msg))))
  },
)

t.test('close() reports what was not written and refuses new jobs', async (t) => {
  const db = refusingDb()
  const { logger, lines } = capture()
  const q = new WriteQueue(db, { logger, retryMinMs: 1, retryMaxMs: 2 })
  q.enqueue('job', async () => undefined)
  await new Promise((resolve) => q.once('degraded', resolve))
  t.equal(await q.close(), 1)
  t.ok(lines.some((l) => l.level === 50 && /closed with writes not yet written/.test(String(l.msg))))
  t.throws(() => q.enqueue('late', async () => undefined), /closed/)
})

t.test('? becomes $1, $2 … except inside quotes and comments', async (t) => {
  t.equal(toNumberedParams('SELECT * FROM t WHERE a = ? AND b = ?'), 'SELECT * FROM t WHERE a = $1 AND b = $2')
  t.equal(
    toNumberedParams('SELECT \'?\' AS q, "we?ird" FROM t WHERE a = ? -- why?\nAND b = ?'),
    'SELECT \'?\' AS q, "we?ird" FROM t WHERE a = $1 -- why?\nAND b = $2',
  )
  t.equal(toNumberedParams('SELECT 1'), 'SELECT 1')
})
