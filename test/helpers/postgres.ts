/**
 * The store tests' private PostgreSQL 15 (bench/helpers/private-postgres.ts): one cluster per test file, started
 * by startPostgres(t), stopped and removed by t's teardown (also when the test fails). Never the system cluster.
 *
 *   const pg = await startPostgres(t)           // undefined: skipped (see below)
 *   const url = await pg.createDatabase('x')     // postgres://koplus@127.0.0.1:PORT/x
 *   await pg.stop(); await pg.start()            // an outage in the middle of a test
 *
 * When the PostgreSQL binaries are missing the PostgreSQL tests are skipped with the reason (a skipped subtest that
 * says why) — except under CI=true, where that is a failure (CI must install Debian's `postgresql`).
 */
import { PrivatePostgres, postgresUnavailable } from '../../bench/helpers/private-postgres.js'

export { PG_BIN, PrivatePostgres, postgresUnavailable } from '../../bench/helpers/private-postgres.js'

interface TapLike {
  test(name: string, extra: { skip: string }, cb: () => void): unknown
  fail(msg: string): unknown
  comment(...msg: unknown[]): void
  teardown(fn: () => unknown): void
}

/**
 * Start a private cluster for this test file (one database 'koplus'), torn down with the test.
 * Returns undefined (test skipped) when PostgreSQL is not installed and CI is not set; under CI=true a missing
 * PostgreSQL fails the test.
 */
export async function startPostgres(t: TapLike): Promise<PrivatePostgres | undefined> {
  const missing = postgresUnavailable()
  if (missing) {
    if (process.env.CI === 'true')
      t.fail(`${missing} (CI=true: the PostgreSQL store tests must run; add postgresql to .ci/run)`)
    else t.test('the PostgreSQL half of these tests', { skip: missing }, () => undefined)
    return undefined
  }
  const pg = new PrivatePostgres()
  t.teardown(() => pg.destroy())
  await pg.init()
  await pg.start()
  await pg.createDatabase('koplus')
  t.comment(
    `private PostgreSQL 15 on 127.0.0.1:${pg.port}: initdb ${pg.initMs.toFixed(0)} ms, start ${pg.startMs.toFixed(0)} ms`,
  )
  return pg
}
