/**
 * Runs the koplus daemon as a real child process and captures its JSON log lines.
 *
 * Which executable: `node bin/koplus.js daemon --config PATH` when the CLI is built (dist/src/cli/main.js exists,
 * as after `npm run build`), else test/helpers/run-daemon.ts under the test runner's TypeScript loader. Set
 * KOPLUS_IT_RUNNER=bin or =ts to force one; KOPLUS_IT_BIN=<path to koplus.js> runs another build's executable.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

export class DaemonProcess {
  readonly child: ChildProcess
  readonly lines: LogLine[] = []
  /** Non-JSON output (stderr, pretty output), for failure messages. */
  readonly raw: string[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  #waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = []

  constructor(configPath: string, env: NodeJS.ProcessEnv = {}) {
    const bin = process.env.KOPLUS_IT_BIN
    const useBin =
      !!bin ||
      process.env.KOPLUS_IT_RUNNER === 'bin' ||
      (process.env.KOPLUS_IT_RUNNER !== 'ts' && existsSync(join(ROOT, 'dist/src/cli/main.js')))
    const args = useBin
      ? [bin ?? join(ROOT, 'bin/koplus.js'), 'daemon', '--config', configPath]
      : [
          ...process.execArgv.filter(
            (a) => a.startsWith('--import') || a.startsWith('--loader') || a === '--enable-source-maps',
          ),
          join(ROOT, 'test/helpers/run-daemon.ts'),
          '--config',
          configPath,
        ]
    // The TypeScript runner only transpiles (type checking is the typecheck step's job, and slow).
    const tsEnv = useBin ? {} : { TS_NODE_TRANSPILE_ONLY: '1' }
    this.child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...tsEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let buf = ''
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        this.#line(line)
      }
    })
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.raw.push(chunk))
    this.exited = new Promise((res) => this.child.once('exit', (code, signal) => res({ code, signal })))
  }

  #line(text: string): void {
    let l: LogLine
    try {
      l = JSON.parse(text) as LogLine
    } catch {
      this.raw.push(text)
      return
    }
    this.lines.push(l)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(l)) return true
      w.resolve(l)
      return false
    })
  }

  /** Resolves with the first log line (already seen or to come) matching `test`. */
  waitForLog(test: (l: LogLine) => boolean, timeoutMs = 10_000, what = 'log line'): Promise<LogLine> {
    const seen = this.lines.find(test)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for ${what}; last log lines: ${this.#tail()}; stderr: ${this.raw.join('').slice(-2000)}`,
            ),
          ),
        timeoutMs,
      )
      this.#waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolve(l)) })
      void this.exited.then(({ code }) =>
        reject(new Error(`daemon exited (${code}) before ${what}; stderr: ${this.raw.join('').slice(-2000)}`)),
      )
    })
  }

  /** The last few log lines (their messages and errors), for a failure message. */
  #tail(): string {
    return this.lines
      .slice(-5)
      .map((l) => JSON.stringify({ msg: l.msg, ...(l.err ? { err: l.err } : {}) }))
      .join(' | ')
  }

  /** SIGTERM and wait for the exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    return this.exited
  }
}

/** Writes a koplus config file for the daemon under test. */
export function writeConfig(
  dir: string,
  o: {
    dbPath: string
    /** database.url: the store on PostgreSQL (dbPath then only names the data directory). */
    dbUrl?: string
    fsPort: number
    password?: string
    idleProbeSeconds?: number
    idleProbeTimeoutSeconds?: number
  },
): string {
  const path = join(dir, 'koplus.json')
  const probe = {
    ...(o.idleProbeSeconds !== undefined ? { idleProbeSeconds: o.idleProbeSeconds } : {}),
    ...(o.idleProbeTimeoutSeconds !== undefined ? { idleProbeTimeoutSeconds: o.idleProbeTimeoutSeconds } : {}),
  }
  const cfg = {
    database: { path: o.dbPath, ...(o.dbUrl !== undefined ? { url: o.dbUrl } : {}) },
    freeswitch: { host: '127.0.0.1', port: o.fsPort, password: o.password ?? 'ClueCon', ...probe },
    api: { host: '127.0.0.1', port: 0 },
    sounds: { dir: join(ROOT, 'sounds') },
    recordings: { dir: join(dir, 'recordings') },
    log: { level: 'debug' },
  }
  writeFileSync(path, JSON.stringify(cfg, null, 2))
  return path
}

/**
 * Polls `fn` (e.g. a store read of what another process wrote) until it returns (or resolves to) a value other than
 * undefined/false.
 */
export async function until<R>(
  fn: () => R | Promise<R>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<Exclude<R, undefined | false>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v as Exclude<R, undefined | false>
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
