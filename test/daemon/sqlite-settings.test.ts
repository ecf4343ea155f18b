/**
 * database.synchronous and database.cacheMb reach the daemon's SQLite connection (PRAGMA synchronous, cache_size).
 * Before, the config read database.synchronous and the daemon never passed it on: FULL in the config file still
 * ran NORMAL. The page cache defaults to 2 MB (src/store/db.ts DEFAULT_CACHE_MB; better-sqlite3's 16 MB filled with
 * the call records: bench/scale-daemon, memory per waiting caller).
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.js'
import { settingsFromConfig } from '../../src/daemon/start.js'
import { startDaemon } from '../../src/daemon/daemon.js'
import { VirtualClock } from '../../src/util/clock.js'

async function pragmas(env: Record<string, string>): Promise<{ synchronous: number; cacheSize: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-sqlite-settings-'))
  try {
    const settings = settingsFromConfig(
      loadConfig({ env: { KOPLUS_DATABASE_PATH: join(dir, 'k.sqlite'), KOPLUS_FREESWITCH_PORT: '1', ...env } }),
    )
    const daemon = await startDaemon(settings, { clock: new VirtualClock(Date.UTC(2026, 0, 5)), connect: false })
    try {
      const s = await daemon.store.db.get<{ synchronous: number }>('PRAGMA synchronous')
      const c = await daemon.store.db.get<{ cache_size: number }>('PRAGMA cache_size')
      return { synchronous: s?.synchronous ?? -1, cacheSize: c?.cache_size ?? 0 }
    } finally {
      await daemon.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

t.test('defaults: synchronous NORMAL, a 2 MB page cache', async (t) => {
  const p = await pragmas({})
  t.equal(p.synchronous, 1, 'NORMAL is 1')
  t.equal(p.cacheSize, -2048, '2 MB, as KiB (negative: a size, not a page count)')
})

t.test('database.synchronous FULL and database.cacheMb 8 from the environment', async (t) => {
  const p = await pragmas({ KOPLUS_DATABASE_SYNCHRONOUS: 'FULL', KOPLUS_DATABASE_CACHE_MB: '8' })
  t.equal(p.synchronous, 2, 'FULL is 2')
  t.equal(p.cacheSize, -8192)
})

t.test('database.cacheMb outside 1-1024 is refused with the key named', async (t) => {
  t.throws(() => loadConfig({ env: { KOPLUS_DATABASE_CACHE_MB: '0' } }), /database\.cacheMb/)
  t.throws(() => loadConfig({ env: { KOPLUS_DATABASE_CACHE_MB: 'lots' } }), /database\.cacheMb/)
})
