/**
 * database.url selects the daemon's store (issue 12 item 1): with a postgres:// URL the daemon opens its store
 * there (database.path is then not used) and takes part in the leader election on the same URL; without one,
 * SQLite at database.path as before.
 */
import t from 'tap'
import { loadConfig } from '../../src/config/index.js'
import { settingsFromConfig } from '../../src/daemon/start.js'

t.test('with database.url: the store and the election on PostgreSQL', async (t) => {
  const url = 'postgres://koplus:secret@db.example.com:5432/koplus'
  const s = settingsFromConfig(loadConfig({ env: { KOPLUS_DATABASE_URL: url, KOPLUS_NODE_ID: 'a' } }))
  t.equal(s.databaseUrl, url, 'the store opens the URL')
  t.match(s.leadership, { url }, 'leadership keeps its own connection to the same database')
})

t.test('without database.url: SQLite at database.path, no election', async (t) => {
  const s = settingsFromConfig(loadConfig({ env: { KOPLUS_DATABASE_PATH: '/var/lib/koplus/koplus.sqlite' } }))
  t.equal(s.databaseUrl, undefined)
  t.equal(s.databasePath, '/var/lib/koplus/koplus.sqlite')
  t.equal(s.leadership, undefined)
})
