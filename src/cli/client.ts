/**
 * The CLI's HTTP client for the daemon's API: finds the address (--api, else the config's api.host:port) and the
 * token (--token, else KOPLUS_TOKEN, else <data dir>/cli-token written by the daemon), and turns failures into
 * CliError messages a person can act on.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_TOKEN_FILE, dataDirOf } from '../config/data-dir.js'
import { loadConfig, type Config } from '../config/index.js'
import { readRuntimeInfo, type RuntimeInfo } from '../config/runtime-file.js'
import { cliConfigPath } from '../config/paths.js'

/** An error the CLI prints as `error: <message>` and exits non-zero with. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    message: string,
    readonly exitCode = 1,
    /** The API's error code, when the API refused. */
    readonly code?: string,
  ) {
    super(message)
  }
}

export interface GlobalOptions {
  api?: string
  token?: string
  config?: string
  json?: boolean
  tenant?: string
}

/**
 * Read the config (for the API address and the data dir): --config, else KOPLUS_CONFIG, else the production
 * install's /etc/koplus/koplus.json when it exists. A broken config file is reported, not thrown raw.
 */
export function cliConfig(opts: GlobalOptions): Config {
  try {
    const path = cliConfigPath(opts.config, process.env)
    return loadConfig(path !== undefined ? { argvPath: path } : {})
  } catch (err) {
    throw new CliError(`invalid configuration: ${(err as Error).message}`)
  }
}

/** The running daemon's <data dir>/daemon.json (API address, FreeSWITCH or simulator address), if it runs. */
export function runtimeInfo(config: Config): RuntimeInfo | undefined {
  return readRuntimeInfo(dataDirOf(config))
}

/**
 * The API base URL: --api, else KOPLUS_API, else the address the running daemon wrote to <data dir>/daemon.json,
 * else http://<api.host>:<api.port> from the config.
 */
export function apiUrl(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.api) return opts.api.replace(/\/+$/, '')
  if (env.KOPLUS_API) return env.KOPLUS_API.replace(/\/+$/, '')
  const c = cliConfig(opts)
  const running = runtimeInfo(c)?.api
  if (running) return running.replace(/\/+$/, '')
  const host = c.api.host.includes(':') ? `[${c.api.host}]` : c.api.host
  return `http://${host}:${c.api.port}`
}

/** The API token: --token, else KOPLUS_TOKEN, else the file the daemon wrote. */
export function apiToken(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.token) return opts.token
  if (env.KOPLUS_TOKEN) return env.KOPLUS_TOKEN
  const path = join(dataDirOf(cliConfig(opts)), CLI_TOKEN_FILE)
  try {
    return readFileSync(path, 'utf8').trim()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError(
      code === 'ENOENT'
        ? `no API token: ${path} does not exist (the daemon writes it at start-up; start it with 'koplus daemon', or pass --token / KOPLUS_TOKEN)`
        : `cannot read the API token ${path}: ${(err as Error).message}`,
    )
  }
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  /** Call the API; returns the parsed JSON (or text for CSV). Throws CliError with the API's message. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { raw?: Buffer; contentType?: string; text?: boolean } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, 'user-agent': 'koplus-cli/1' }
    let payload: string | Buffer | undefined
    if (opts.raw) {
      payload = opts.raw
      headers['content-type'] = opts.contentType ?? 'application/octet-stream'
    } else if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] = 'application/json'
    }
    let res: Response
    try {
      res = await fetch(this.baseUrl + path, { method, headers, body: payload })
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      if (cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND' || cause?.code === 'EHOSTUNREACH') {
        throw new CliError(
          `the koplus daemon is not running at ${this.baseUrl} (${cause.code}). Start it with 'koplus daemon' (or 'koplus daemon --simulate' to try it without FreeSWITCH), or point --api at it.`,
          2,
        )
      }
      throw new CliError(
        `cannot reach the koplus daemon at ${this.baseUrl}: ${cause?.message ?? (err as Error).message}`,
        2,
      )
    }
    const text = await res.text()
    if (!res.ok) {
      let message = `HTTP ${res.status}`
      let code: string | undefined
      try {
        const e = (JSON.parse(text) as { error?: { code?: string; message?: string; field?: string } }).error
        if (e?.message) message = e.message
        code = e?.code
      } catch {
        // not JSON
      }
      if (res.status === 401) message += ` (check the API token: --token, KOPLUS_TOKEN or the daemon's cli-token file)`
      throw new CliError(message, 1, code)
    }
    if (opts.text) return text as T
    return (text ? JSON.parse(text) : undefined) as T
  }
}
