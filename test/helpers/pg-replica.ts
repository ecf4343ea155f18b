/**
 * A streaming replica of a private PostgreSQL cluster (test/helpers/postgres.ts), for failover tests:
 *
 *   const replica = await startReplica(primary, t)   // pg_basebackup -R from the primary, started on its own port
 *   await primary.stop()                             // the primary is lost
 *   await promote(replica)                           // pg_ctl promote: the replica takes writes
 *
 * Like the primary it runs as the `postgres` user in a temporary directory, removed with the test. The primary's
 * pg_hba.conf (initdb --auth=trust) already lets `replication` connections in from 127.0.0.1.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { PG_BIN, PrivatePostgres } from './postgres.js'

const run = promisify(execFile)

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

/** A replica of `primary`, streaming from it, started and removed with t; `copyMs` is what pg_basebackup took. */
export async function startReplica(
  primary: PrivatePostgres,
  t: { teardown(fn: () => unknown): void },
): Promise<PrivatePostgres & { copyMs: number }> {
  const replica = Object.assign(new PrivatePostgres(), { copyMs: 0 })
  t.teardown(() => replica.destroy())
  const t0 = performance.now()
  const [cmd, args] = asPostgres(join(PG_BIN, 'pg_basebackup'), [
    ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'koplus'],
    ...['-D', replica.dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
  ])
  await run(cmd, args, { cwd: replica.dir })
  replica.copyMs = performance.now() - t0
  await replica.start()
  return replica
}

/** Promotes a replica to primary and waits until it takes writes (pg_ctl promote -w). */
export async function promote(replica: PrivatePostgres): Promise<number> {
  const t0 = performance.now()
  const [cmd, args] = asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', replica.dataDir, '-w', '-t', '60', 'promote'])
  await run(cmd, args, { cwd: replica.dir })
  return performance.now() - t0
}
