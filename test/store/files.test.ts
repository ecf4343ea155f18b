/**
 * Issue 9 (hardening): the database and its WAL hold password and session hashes, so they are created 0600 in a
 * 0700 data directory; a database path that cannot work fails at once with one line naming the path.
 */
import t from 'tap'
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store, StoreError } from '../../src/store/index.js'
import { prepareDatabaseFile } from '../../src/store/files.js'

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8)

function tmp(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-files-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The StoreError `p` rejects with, or a failure. */
async function storeError(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p
  } catch (e) {
    if (e instanceof StoreError) return e
    throw e
  }
  throw new Error('expected a StoreError, nothing was thrown')
}

t.test('a new database: data directories 0700, the file, its -wal and -shm 0600, whatever the umask', async (t) => {
  const dir = tmp(t)
  const old = process.umask(0o000) // the most permissive umask: the modes must not come from it
  t.teardown(() => process.umask(old))
  const path = join(dir, 'data', 'sub', 'koplus.sqlite')
  const store = await Store.open(path)
  t.teardown(() => store.close())
  await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' }) // a write: the WAL holds data
  t.equal(mode(join(dir, 'data')), '700', 'data directory')
  t.equal(mode(join(dir, 'data', 'sub')), '700', 'and the one inside it')
  t.equal(mode(path), '600', 'database')
  t.ok(existsSync(`${path}-wal`), 'WAL mode: the -wal file exists')
  t.equal(mode(`${path}-wal`), '600', '-wal')
  t.equal(mode(`${path}-shm`), '600', '-shm')
})

t.test(
  'an existing world-readable database (and its WAL) is tightened to 0600; an existing directory is left alone',
  async (t) => {
    const dir = tmp(t)
    const path = join(dir, 'koplus.sqlite')
    await (await Store.open(path)).close()
    writeFileSync(`${path}-wal`, '')
    chmodSync(path, 0o644)
    chmodSync(`${path}-wal`, 0o644)
    chmodSync(dir, 0o755)
    const r = prepareDatabaseFile(path)
    t.same(r.tightened, [
      { path, from: '0644' },
      { path: `${path}-wal`, from: '0644' },
    ])
    t.equal(r.created, false)
    t.same(r.createdDirs, [])
    t.same(r.loose, [])
    t.equal(mode(path), '600')
    t.equal(mode(`${path}-wal`), '600')
    t.equal(mode(dir), '755', "a directory koplus did not make keeps its mode (it may be the operator's)")
  },
)

t.test('a parent that is a file: one line naming it, not "EEXIST … mkdir"', async (t) => {
  const dir = tmp(t)
  writeFileSync(join(dir, 'file'), 'x')
  let e = await storeError(Store.open(join(dir, 'file', 'koplus.sqlite')))
  t.equal(e.storeCode, 'FILE')
  t.equal(e.message, `${join(dir, 'file')} is a file, not a directory`)
  e = await storeError(Store.open(join(dir, 'file', 'deeper', 'koplus.sqlite')))
  t.equal(
    e.message,
    `${join(dir, 'file')} is a file, not a directory, so ${join(dir, 'file', 'deeper')} cannot be made`,
  )
  t.notMatch(e.message, /EEXIST/)
  e = await storeError(Store.open(dir))
  t.equal(e.message, `${dir} is a directory; give the path of the SQLite file`)
})

t.test(
  "a path under /proc fails at once (Node's recursive mkdir loops forever there)",
  { skip: !existsSync('/proc/self') && 'no /proc here' },
  async (t) => {
    const started = performance.now()
    let e = await storeError(Store.open('/proc/koplus-test/data/koplus.sqlite'))
    t.equal(e.storeCode, 'FILE')
    t.match(e.message, /^cannot create the directory \/proc\/koplus-test: .*\(ENOENT\)$/)
    e = await storeError(Store.open('/proc/koplus-test.sqlite'))
    t.match(e.message, /^cannot create the database file \/proc\/koplus-test\.sqlite: .*\(ENOENT\)$/)
    t.ok(performance.now() - started < 1000, 'without hanging')
    t.notMatch(e.message, /\n/, 'one line')
  },
)
