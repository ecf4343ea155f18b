/**
 * A PostgreSQL connection lost in the middle of a transaction (the server stopped or failed over while a write-queue
 * job ran) is an error of that transaction, retried by the write queue — not an uncaught exception that ends the
 * daemon. pg emits 'error' on a client whose connection ends; a client checked out of the pool has no listener of
 * the pool's (src/store/pg/pg-db.ts transaction()).
 */
import t from 'tap'
import { PgSqlDb } from '../../src/store/pg/pg-db.js'
import { isRetryable } from '../../src/store/write-queue.js'
import { startPostgres } from '../helpers/postgres.js'

const pg = await startPostgres(t)
if (pg) {
  t.test('the backend of a transaction is terminated: the transaction fails with a retryable error', async (t) => {
    const db = new PgSqlDb(await pg.createDatabase('lost'), { connectTimeoutMs: 1000 })
    t.teardown(() => db.close())
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown) => uncaught.push(err)
    process.on('uncaughtException', onUncaught)
    t.teardown(() => process.removeListener('uncaughtException', onUncaught))
    let after: unknown
    const err = await db
      .transaction(async (tx) => {
        await tx.get('SELECT pg_terminate_backend(pg_backend_pid())').catch(() => undefined)
        try {
          await tx.get('SELECT 1') // the next statement of the job
        } catch (e) {
          after = e
          throw e
        }
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    t.ok(err, 'the transaction failed')
    t.ok(isRetryable(err), `with a retryable error (${(err as Error).message}): the write queue retries it`)
    t.equal(after, err, 'the next statement failed with it')
    await new Promise((r) => setImmediate(r))
    t.same(uncaught, [], 'no uncaught exception')
    t.equal(Number((await db.get<{ n: number }>('SELECT 1 AS n'))?.n), 1, 'the pool works on with a new connection')
  })
}
