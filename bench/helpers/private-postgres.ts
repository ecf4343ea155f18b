/**
 * A private PostgreSQL 15 cluster (for the store tests, via test/helpers/postgres.ts, and the store benchmark): `initdb` into a temporary directory owned by the `postgres`
 * user, started with pg_ctl on a free loopback port (listen_addresses=127.0.0.1, unix socket inside the temp
 * directory), stopped and removed on teardown — also when the test fails. Never the system cluster.
 *
 *   const pg = new PrivatePostgres({ durable: false }); await pg.init(); await pg.start()
 *   const url = await pg.createDatabase('koplus')   // postgres://koplus@127.0.0.1:PORT/koplus
 *   await pg.stop(); await pg.start()                // an outage in the middle of a test
 *   await pg.destroy()                               // stopped and the directory removed
 *
 * Binaries: $KOPLUS_PG_BIN, else /usr/lib/postgresql/15/bin.
 * durable: false (tests) turns fsync, full_page_writes and synchronous_commit off: a test cluster need not survive a
 * power cut. The benchmark runs with them on (PostgreSQL's defaults).
 * The tests run as root; PostgreSQL refuses to run as root, so every server command runs as `postgres` (runuser).
 */
import { execFile, execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const PG_BIN = process.env.KOPLUS_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** Why a private cluster cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  for (const b of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, b)))
      return `PostgreSQL 15 binaries not found (${join(PG_BIN, b)} is missing): install Debian's postgresql package or set KOPLUS_PG_BIN`
  }
  if (
    process.getuid?.() === 0 &&
    !['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].some((p) => existsSync(p))
  ) {
    return 'runuser is missing (util-linux): PostgreSQL must run as the postgres user'
  }
  return undefined
}

async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]
}

export class PrivatePostgres {
  readonly dir: string
  readonly dataDir: string
  readonly socketDir: string
  port = 0
  /** Milliseconds initdb took, and the last start (pg_ctl -w). */
  initMs = 0
  startMs = 0
  #running = false
  readonly durable: boolean

  constructor(opts: { durable?: boolean } = {}) {
    this.durable = opts.durable ?? false
    this.dir = mkdtempSync(join(tmpdir(), 'koplus-pg-'))
    this.dataDir = join(this.dir, 'data')
    this.socketDir = this.dir
    if (process.getuid?.() === 0) {
      const { uid, gid } = postgresIds()
      chownSync(this.dir, uid, gid)
    }
    // Safety net for a process that ends without its teardown (a crashed test, an unfinished promise): stop the
    // server and remove the directory synchronously on exit.
    process.once('exit', this.#onExit)
  }

  readonly #onExit = (): void => {
    try {
      if (this.#running) {
        const [cmd, args] = asPostgres(join(PG_BIN, 'pg_ctl'), [
          '-D',
          this.dataDir,
          '-m',
          'immediate',
          '-w',
          '-t',
          '20',
          'stop',
        ])
        execFileSync(cmd, args, { cwd: this.dir, stdio: 'ignore' })
      }
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true })
  }

  get url(): string {
    return `postgres://koplus@127.0.0.1:${this.port}/koplus`
  }

  get running(): boolean {
    return this.#running
  }

  async init(): Promise<void> {
    const t0 = performance.now()
    const [cmd, args] = asPostgres(join(PG_BIN, 'initdb'), [
      '-D',
      this.dataDir,
      '-U',
      'koplus',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ])
    await run(cmd, args, { cwd: this.dir })
    this.initMs = performance.now() - t0
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort()
    const fast = this.durable ? '' : ' -c fsync=off -c full_page_writes=off -c synchronous_commit=off'
    const opts = `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.socketDir} -c max_connections=40${fast}`
    const t0 = performance.now()
    const [cmd, args] = asPostgres(join(PG_BIN, 'pg_ctl'), [
      '-D',
      this.dataDir,
      '-o',
      opts,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ])
    await run(cmd, args, { cwd: this.dir })
    this.startMs = performance.now() - t0
    this.#running = true
  }

  /** Stop the server now (mode fast: open connections are cut, as in an outage). */
  async stop(): Promise<void> {
    if (!this.#running) return
    const [cmd, args] = asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'])
    await run(cmd, args, { cwd: this.dir })
    this.#running = false
  }

  /** A fresh database on this server (each store test gets its own). */
  async createDatabase(name: string): Promise<string> {
    const [cmd, args] = asPostgres(join(PG_BIN, 'createdb'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'koplus',
      name,
    ])
    await run(cmd, args, { cwd: this.dir })
    return `postgres://koplus@127.0.0.1:${this.port}/${name}`
  }

  async destroy(): Promise<void> {
    try {
      await this.stop()
    } finally {
      rmSync(this.dir, { recursive: true, force: true })
      process.removeListener('exit', this.#onExit)
    }
  }
}

function postgresIds(): { uid: number; gid: number } {
  // /etc/passwd: name:x:uid:gid:...
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'))
  if (!line) throw new Error("no postgres user on this machine (Debian's postgresql package creates it)")
  const f = line.split(':')
  return { uid: Number(f[2]), gid: Number(f[3]) }
}
