/**
 * `<data dir>/daemon.json`: where the running daemon can be reached, written at start-up and removed at stop, so
 * the CLI and `koplus doctor` find it with no extra flags — the API address (also when api.port is 0) and, under
 * `koplus daemon --simulate`, the built-in simulator's Event Socket address (a random port). A file whose process
 * no longer runs is ignored. It holds no secret (the API token is in the cli-token file beside it).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RUNTIME_FILE } from './data-dir.js'

export { RUNTIME_FILE }

export interface RuntimeInfo {
  pid: number
  /** The control API, e.g. http://127.0.0.1:8080. */
  api?: string
  /** The FreeSWITCH the daemon controls; `simulated` when it is the built-in simulator. */
  freeswitch: { host: string; port: number; simulated: boolean }
  /** The SQLite file in use. */
  database: string
  startedAt: number
}

/** Writes <dataDir>/daemon.json (atomically); returns its path. */
export function writeRuntimeInfo(dataDir: string, info: RuntimeInfo): string {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, RUNTIME_FILE)
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n')
  renameSync(tmp, path)
  return path
}

/** Removes <dataDir>/daemon.json if this process wrote it. */
export function removeRuntimeInfo(dataDir: string, pid = process.pid): void {
  const info = readRuntimeInfo(dataDir, { anyPid: true })
  if (info?.pid === pid) rmSync(join(dataDir, RUNTIME_FILE), { force: true })
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The running daemon's <dataDir>/daemon.json, or undefined (missing, unreadable, or its process is gone). */
export function readRuntimeInfo(dataDir: string, opts: { anyPid?: boolean } = {}): RuntimeInfo | undefined {
  let info: RuntimeInfo
  try {
    info = JSON.parse(readFileSync(join(dataDir, RUNTIME_FILE), 'utf8')) as RuntimeInfo
  } catch {
    return undefined
  }
  if (typeof info?.pid !== 'number' || typeof info.freeswitch?.port !== 'number') return undefined
  if (!opts.anyPid && !alive(info.pid)) return undefined
  return info
}
