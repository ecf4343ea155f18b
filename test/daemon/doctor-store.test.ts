/**
 * `koplus doctor` with database.url: the tenants check reads PostgreSQL (the daemon's data is there, not in the
 * SQLite file), and a database it cannot read is named without its password.
 */
import t from 'tap'
import { runDoctor } from '../../src/doctor/index.js'
import { Store } from '../../src/store/index.js'
import { startPostgres } from '../helpers/postgres.js'

const pg = await startPostgres(t)
if (!pg) {
  t.comment('PostgreSQL is not available here: the doctor test on PostgreSQL is skipped')
} else {
  const url = await pg.createDatabase('koplus_doctor')
  const store = await Store.open(url)
  await store.queues.create({ number: '5000', name: 'Support' })
  await store.tenants.create({ name: 'Other', domain: 'other.example.com' })
  await store.close()
  // no FreeSWITCH listens on port 1: the FreeSWITCH checks fail, the host checks still run
  const base = { host: '127.0.0.1', port: 1, password: 'ClueCon', timeoutMs: 1000, soundsDir: null }

  t.test('the tenants check reads PostgreSQL when database.url is set', async (t) => {
    const report = await runDoctor({ ...base, databasePath: '/nonexistent/koplus.sqlite', databaseUrl: url })
    const tenants = report.checks.find((c) => c.name === 'tenants')
    t.match(tenants, { ok: false, detail: /default/ }, 'the placeholder-domain tenant with a queue is found there')
  })

  t.test('a database it cannot read is named without the password', async (t) => {
    const u = new URL(url)
    u.password = 'very-secret-pw'
    u.pathname = '/no_such_database'
    const report = await runDoctor({ ...base, databaseUrl: u.toString() })
    const tenants = report.checks.find((c) => c.name === 'tenants')
    t.match(tenants, { ok: false, detail: /^cannot read the tenants from postgres:/ })
    t.notMatch(tenants?.detail ?? '', /very-secret-pw/, 'no password in the answer')
  })
}
