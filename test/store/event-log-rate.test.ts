/**
 * The event log's append path on a real file (WAL): measures appends per second, one committed
 * transaction per append (synchronous NORMAL and FULL) and batched. Figures are printed as comments;
 * the assertions are loose floors that only catch a broken fast path (e.g. an un-prepared statement
 * or a transaction per row inside a batch).
 */
import t from 'tap'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../../src/store/index.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-eventlog-'))

/** Rows per second: `calls` calls of fn, each writing `rowsPerCall` rows. */
function rate(calls: number, fn: (i: number) => void, rowsPerCall = 1): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) fn(i)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  return Math.round((calls * rowsPerCall) / s)
}

t.test('append rate', async (t) => {
  for (const synchronous of ['NORMAL', 'FULL'] as const) {
    const store = Store.open(join(dir, `events-${synchronous}.sqlite`), { synchronous })
    const n = synchronous === 'NORMAL' ? 10000 : 300
    const single = rate(n, (i) =>
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
    t.ok(single > (synchronous === 'NORMAL' ? 1000 : 10), `single append rate ${single}/s above the floor`)
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      at: 1_790_000_000_000 + i,
      callId: `c${i % 100}`,
      queueId: 'q1',
      event: 'ENTERQUEUE',
      data: { position: i },
    }))
    const batched = rate(20, () => store.events.appendMany(batch), batch.length)
    t.comment(`event_log batched appends (1000 per transaction), synchronous=${synchronous}: ${batched} /s`)
    t.ok(batched > 5000, `batched rate ${batched}/s above the floor`)
    t.equal(store.events.list({ limit: 100000 }).length, n + 20000)
    store.close()
  }
})
