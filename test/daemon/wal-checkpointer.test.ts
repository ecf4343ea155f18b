/**
 * SQLite WAL checkpoints off the daemon's event loop (src/daemon/wal-checkpointer.ts; issue 13: a checkpoint inside
 * a COMMIT held the loop up to 252 ms at 10,000 waiting callers). The daemon's connection checkpoints only past a far
 * safety net; a worker thread with its own connection checkpoints (PASSIVE) and the WAL starts again from its
 * beginning afterwards.
 */
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SAFETY_NET_PAGES, WalCheckpointer, type CheckpointerStats } from '../../src/daemon/wal-checkpointer.js'
import { startDaemon } from '../../src/daemon/daemon.js'

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-wal-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Resolves with the checkpointer's figures once `ok` holds for them (each worker message is awaited, no sleeps). */
async function until(cp: WalCheckpointer, ok: (s: CheckpointerStats) => boolean): Promise<CheckpointerStats> {
  for (let i = 0; i < 500; i++) {
    if (ok(cp.stats)) return cp.stats
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`not reached: ${JSON.stringify(cp.stats)}`)
}

t.test('the worker checkpoints a WAL the main connection left alone; the WAL then starts again', async (t) => {
  const path = join(tempDir(t), 'wal.sqlite')
  const main = new Database(path)
  t.teardown(() => main.close())
  main.pragma('journal_mode = WAL')
  main.pragma('synchronous = NORMAL')
  main.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`)
  main.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)')
  const insert = main.prepare('INSERT INTO t (b) VALUES (?)')
  // ~2,000 pages in 500 commits: past SQLite's default threshold (1,000), below the safety net.
  for (let i = 0; i < 500; i++) insert.run(Buffer.alloc(16_000, i & 0xff))
  const [before] = main.pragma('wal_checkpoint(NOOP)') as { log: number }[]
  t.ok(before.log > 1000, `the main connection did not checkpoint: ${before.log} pages in the WAL`)

  const cp = new WalCheckpointer(path, { everyMs: 10 })
  t.teardown(() => cp.stop())
  const s = await until(cp, (s) => s.checkpoints > 0)
  t.ok(s.maxWalPages >= before.log, `the worker saw the WAL (${s.maxWalPages} pages)`)
  t.equal(s.lastError, null)
  // Every frame was copied: the next write starts the WAL from its beginning.
  insert.run(Buffer.alloc(100))
  const [after] = main.pragma('wal_checkpoint(NOOP)') as { log: number }[]
  t.ok(after.log < 10, `the WAL started again: ${after.log} pages`)
  t.equal((main.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n, 501, 'nothing lost')
  await cp.stop()
})

t.test(
  'a daemon on a SQLite file checkpoints on the worker; its own connection only past the safety net',
  async (t) => {
    const path = join(tempDir(t), 'koplus.sqlite')
    const daemon = await startDaemon(
      { databasePath: path, freeswitch: { host: '127.0.0.1', port: 1, password: 'ClueCon' } },
      { connect: false },
    )
    t.teardown(() => daemon.stop())
    t.ok(daemon.checkpointer, 'the worker runs')
    t.strictSame(await daemon.store.db.get('PRAGMA wal_autocheckpoint'), { wal_autocheckpoint: SAFETY_NET_PAGES })
    await daemon.stop()
  },
)

t.test('no worker for a store in memory', async (t) => {
  const daemon = await startDaemon(
    { databasePath: ':memory:', freeswitch: { host: '127.0.0.1', port: 1, password: 'ClueCon' } },
    { connect: false },
  )
  t.teardown(() => daemon.stop())
  t.equal(daemon.checkpointer, undefined)
})
