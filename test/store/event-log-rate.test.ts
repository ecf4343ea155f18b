/**
 * The event log's append path on a real SQLite file (WAL), asynchronous: one committed append per call
 * (synchronous NORMAL and FULL) and batches of 1000 in one transaction each. Every row must arrive, in order; the
 * rates are printed as comments for information only (figures belong to bench/, not to assertions).
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../../src/store/index.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-eventlog-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** Rows per second: `calls` calls of fn, each writing `rowsPerCall` rows. */
async function rate(calls: number, fn: (i: number) => Promise<unknown>, rowsPerCall = 1): Promise<number> {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await fn(i)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  return Math.round((calls * rowsPerCall) / s)
}

t.test('appends, one by one and batched, all written in order', async (t) => {
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    const store = await Store.open(join(dir, `events-${synchronous}.sqlite`), { synchronous })
    const n = synchronous === 'NORMAL' ? 2000 : 200
    const single = await rate(n, (i) =>
      store.events.append({
        at: 1_790_000_000_000 + i,
        callId: `c${i % 100}`,
        queueId: 'q1',
        agentId: 'a1',
        event: 'RING',
        data: { offerId: i },
      }),
    )
    t.comment(`event_log single appends, synchronous=${synchronous}: ${single} /s (${n} rows)`)
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      at: 1_790_000_000_000 + n + i,
      callId: `c${i % 100}`,
      queueId: 'q1',
      event: 'ENTERQUEUE',
      data: { position: i },
    }))
    const batched = await rate(5, () => store.events.appendMany(batch), batch.length)
    t.comment(`event_log batched appends (1000 per transaction), synchronous=${synchronous}: ${batched} /s`)
    const rows = await store.events.list({ limit: 100000 })
    t.equal(rows.length, n + 5000, 'every row written')
    t.strictSame(
      rows.slice(0, 3).map((e) => [e.event, e.data]),
      [
        ['RING', { offerId: 0 }],
        ['RING', { offerId: 1 }],
        ['RING', { offerId: 2 }],
      ],
    )
    t.equal(rows.filter((e) => e.event === 'ENTERQUEUE').length, 5000)
    await store.close()
  }
})
