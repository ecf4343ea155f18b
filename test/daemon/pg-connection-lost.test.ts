/**
 * The daemon's store on PostgreSQL loses its connection in the middle of a transaction (a write-queue job while the
 * network to PostgreSQL is cut): the job fails and is retried, the process goes on. node-postgres emits 'error' on
 * a checked-out client whose socket dies; without a listener that event ended the process (found by the
 * standby-failover partition test: the fenced leader exited 1 instead of 3).
 */
import t from 'tap'
import { once } from 'node:events'
import { Store } from '../../src/store/index.js'
import { startPostgres } from '../helpers/postgres.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const pg = await startPostgres(t)
if (!pg) {
  t.comment('PostgreSQL is not available here: skipped')
} else {
  t.test('a connection cut during a write-queue job: retried once the network is back, nothing crashes', async (t) => {
    const url = await pg.createDatabase('koplus_cut')
    const link = new TcpProxy(pg.port)
    const port = await link.listen()
    t.teardown(() => link.close())
    const store = await Store.open(url.replace(`:${pg.port}/`, `:${port}/`), {
      connectTimeoutMs: 500,
      writeQueue: { retryMinMs: 5, retryMaxMs: 20 },
    })
    t.teardown(() => store.close(1000))
    const q = await store.queues.create({ number: '5000', name: 'Support' })

    let attempts = 0
    let inJob!: () => void
    const started = new Promise<void>((r) => (inJob = r))
    store.writes.enqueue('cut', async (tx) => {
      attempts++
      await store.within(tx).queues.update(q.id, { name: 'Renamed' })
      if (attempts === 1) {
        inJob()
        await tx.get('SELECT pg_sleep(5)') // the network is cut while this runs
      }
    })
    await started
    const degraded = once(store.writes, 'degraded')
    link.drop()
    await degraded
    t.equal(store.health().writes.state, 'degraded', 'the cut shows as a degraded store')
    await store.writes.drained()
    t.equal(attempts, 2, 'the job was tried again')
    t.equal((await store.queues.get(q.id)).name, 'Renamed', 'and written')
    t.equal(store.health().writes.state, 'ok')
  })
}
