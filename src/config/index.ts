/**
 * koplus configuration, read once at start-up: defaults ← a JSON file (--config PATH or KOPLUS_CONFIG)
 * ← environment variables KOPLUS_<SECTION>_<KEY>. Every key and its default is in spec.ts, the example
 * conf/koplus.example.json and docs/configuration.md. Invalid input throws ConfigError naming the key:
 * `freeswitch.port: expected an integer 1-65535, got "abc"`.
 */
import { ValueProblem } from './value-problem.js'
import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { KoplusError } from '../errors.js'
import { packageRoot } from './paths.js'
import { checkNodes } from './nodes.js'
import { checkAdvertiseUrl } from './advertise-url.js'
import {
  CONFIG_SPEC,
  envName,
  type ConfigValue,
  type KeyKind,
  type KeySpec,
  type LogFormat,
  type LogLevel,
  type NodeConfig,
} from './spec.js'

export {
  CONFIG_SPEC,
  envName,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  type NodeConfig,
} from './spec.js'
export { packageRoot } from './paths.js'

export interface Config {
  /** url: a postgres:// URL (PostgreSQL store) or null (SQLite at path). */
  database: { url: string | null; path: string; synchronous: 'NORMAL' | 'FULL'; cacheMb: number }
  /**
   * nodes: several FreeSWITCH nodes (each with its password resolved), or null for one node at host/port/password.
   * interNodeDialString / nodeLostSeconds: see docs/scale-out.md.
   */
  freeswitch: {
    host: string
    port: number
    password: string
    transferContext: string
    idleProbeSeconds: number
    idleProbeTimeoutSeconds: number
    nodes: (NodeConfig & { password: string })[] | null
    interNodeDialString: string
    nodeLostSeconds: number
  }
  /**
   * metricsTokenFile: absolute path, or null (no token on /metrics). advertiseUrl: this API's origin as the other
   * daemons reach it, or null (the listening address).
   */
  api: {
    host: string
    port: number
    advertiseUrl: string | null
    metricsTokenFile: string | null
    clientAddressHeader: 'none' | 'x-forwarded-for' | 'x-real-ip'
    trustedProxies: string[]
  }
  /** Absolute path. */
  sounds: { dir: string }
  /** Absolute path. */
  recordings: { dir: string }
  log: { level: LogLevel; format: LogFormat }
  featureCodes: { login: string; logout: string; device: string; pause: string; wrapUpEnd: string; record: string }
  /** Calls koplus can no longer place in a queue: `busy`, `hangup` or `forward:<number>`. */
  calls: { unknownQueueAction: string }
  /** Dial-string templates (see deviceDialString). */
  devices: { softphone: string; deskphone: string; mobile: string; mobileGateway: string }
  /** Callbacks (docs/callback.md): the dial string of the called-back person, `${number}` filled in. */
  callback: { dialString: string }
  /** Where the values came from (for logs and `koplus doctor`). */
  source: { file: string | null; env: string[] }
}

/** Invalid configuration: `key` is 'section.key' (or the file), `source` says where the bad value came from. */
export class ConfigError extends KoplusError {
  override readonly name = 'ConfigError'
  declare readonly code: 'KOPLUS_CONFIG_INVALID'
  constructor(
    readonly key: string,
    readonly problem: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super('KOPLUS_CONFIG_INVALID', `${key}: ${problem}${source === 'default' ? '' : ` (${source})`}`, options)
  }
}

interface LoadConfigOptions {
  /** --config PATH from the command line; wins over KOPLUS_CONFIG. */
  argvPath?: string
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv
  /** Directory relative paths are resolved against; default process.cwd(). */
  cwd?: string
}

const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v)

/** Check (and for env strings, parse) one value against its kind. Returns the value or throws a ValueProblem. */
function check(kind: KeyKind, v: unknown, fromEnv: boolean, field: string): ConfigValue {
  switch (kind.type) {
    case 'int': {
      let n = v
      if (fromEnv && typeof v === 'string' && /^-?\d+$/.test(v.trim())) n = Number(v.trim())
      if (typeof n !== 'number' || !Number.isInteger(n) || n < kind.min || n > kind.max)
        throw new ValueProblem(`expected an integer ${kind.min}-${kind.max}, got ${show(v)}`)
      return n
    }
    case 'enum':
      if (typeof v !== 'string' || !kind.values.includes(v))
        throw new ValueProblem(`expected one of ${kind.values.join(', ')}, got ${show(v)}`)
      return v
    case 'string':
      if (typeof v !== 'string' || v === '')
        throw new ValueProblem(
          `expected a non-empty string, got ${kind.secret && typeof v === 'string' ? 'an empty string' : show(v)}`,
        )
      if (kind.re && !kind.re.test(v))
        throw new ValueProblem(
          `expected ${kind.what ?? kind.re.source}, got ${kind.secret ? 'a value that does not match' : show(v)}`,
        )
      return v
    case 'path':
      if (v === null && kind.nullMeans) return null
      if (fromEnv && v === '' && kind.nullMeans) return null
      if (typeof v !== 'string' || v === '')
        throw new ValueProblem(`expected a path${kind.nullMeans ? ' or null' : ''}, got ${show(v)}`)
      if (v.includes('\0')) throw new ValueProblem('a path must not contain NUL')
      return v
    case 'template': {
      if (typeof v !== 'string' || v === '') throw new ValueProblem(`expected a dial-string template, got ${show(v)}`)
      const used = [...v.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1])
      const unknown = used.filter((u) => !kind.allowed.includes(u))
      if (unknown.length)
        throw new ValueProblem(
          `unknown variable \${${unknown[0]}} (allowed: ${kind.allowed.map((a) => `\${${a}}`).join(', ')})`,
        )
      const missing = kind.required.filter((r) => !used.includes(r))
      if (missing.length) throw new ValueProblem(`must contain \${${missing[0]}}`)
      if (/\s/.test(v)) throw new ValueProblem('must not contain spaces')
      return v
    }
    case 'featureCode':
      if (typeof v !== 'string' || !/^[*#][0-9]{1,6}$/.test(v))
        throw new ValueProblem(`expected * or # followed by 1-6 digits, got ${show(v)}`)
      return v
    case 'postgresUrl':
      if (v === null || (fromEnv && v === '')) return null
      return checkPostgresUrl(v)
    case 'nodes':
      return checkNodes(v, fromEnv)
    case 'advertiseUrl':
      return checkAdvertiseUrl(v, fromEnv)
  }
  throw new ValueProblem(`unsupported kind for ${field}`)
}

/** A database.url: postgres(ql)://[user[:password]@]host[:port]/database. Problems never quote the password. */
function checkPostgresUrl(v: unknown): string {
  const what = 'a postgres://user:password@host:port/database URL or null'
  if (typeof v !== 'string' || v === '') throw new ValueProblem(`expected ${what}, got ${show(v)}`)
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new ValueProblem(`expected ${what}, got a value that is not a URL`)
  }
  if (u.password) u.password = '***'
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new ValueProblem(`expected ${what}, got ${JSON.stringify(u.toString())}`)
  if (!u.hostname) throw new ValueProblem(`names no host: ${JSON.stringify(u.toString())}`)
  if (u.pathname.replace(/^\//, '') === '')
    throw new ValueProblem(`names no database (…/koplus at the end): ${JSON.stringify(u.toString())}`)
  return v
}

/** `--config PATH` or `--config=PATH` from an argv array, if present. */
export function configPathFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--config') return argv[i + 1]
    if (a.startsWith('--config=')) return a.slice('--config='.length)
  }
  return undefined
}

/**
 * The known variable an unknown KOPLUS_<A>_<B…> name was probably meant to be, or undefined: a name with a section
 * part whose key part is that of a known variable (KOPLUS_FS_PASSWORD → KOPLUS_FREESWITCH_PASSWORD), or one at most
 * two letters away from a known name. Names without a section part (KOPLUS_CONFIG, KOPLUS_TOKEN, KOPLUS_API,
 * KOPLUS_PASSWORD: the CLI's own) are never near-misses.
 */
function nearMiss(name: string, known: ReadonlyMap<string, readonly [string, string, KeySpec]>): string | undefined {
  const rest = name.slice('KOPLUS_'.length)
  if (!rest.includes('_')) return undefined
  for (const k of known.keys()) if (editDistance(name, k) <= 2) return k
  for (const [k, [section]] of known) {
    const keyPart = k.slice(envName(section, '').length) // 'PASSWORD', 'WRAP_UP_END' …
    if (name.endsWith(`_${keyPart}`) && name.length > `KOPLUS_${keyPart}`.length + 1) return k
  }
  return undefined
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]
}

/**
 * Read the configuration: defaults, then the file (opts.argvPath, else env KOPLUS_CONFIG, else none),
 * then KOPLUS_<SECTION>_<KEY> environment variables. Throws ConfigError on the first problem.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const values: Record<string, Record<string, ConfigValue>> = {}
  for (const [section, keys] of Object.entries(CONFIG_SPEC)) {
    values[section] = {}
    for (const [key, spec] of Object.entries(keys as Record<string, KeySpec>)) values[section][key] = spec.default
  }

  // the file
  const fileArg = opts.argvPath ?? (env.KOPLUS_CONFIG || undefined)
  let file: string | null = null
  if (fileArg !== undefined) {
    file = resolve(cwd, fileArg)
    const where = `in ${file}`
    if (!existsSync(file))
      throw new ConfigError(
        'config',
        `file ${file} not found`,
        opts.argvPath !== undefined ? '--config' : 'KOPLUS_CONFIG',
      )
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      throw new ConfigError(
        'config',
        `${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
        opts.argvPath !== undefined ? '--config' : 'KOPLUS_CONFIG',
        { cause: err },
      )
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ConfigError('config', `${file} must hold a JSON object`, where)
    for (const [section, body] of Object.entries(parsed as Record<string, unknown>)) {
      const keys = (CONFIG_SPEC as Record<string, Record<string, KeySpec>>)[section]
      if (!keys)
        throw new ConfigError(section, `unknown section (known: ${Object.keys(CONFIG_SPEC).join(', ')})`, where)
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new ConfigError(section, `expected an object, got ${show(body)}`, where)
      for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
        const spec = keys[key]
        if (!spec)
          throw new ConfigError(
            `${section}.${key}`,
            `unknown key (known in ${section}: ${Object.keys(keys).join(', ')})`,
            where,
          )
        try {
          values[section][key] = check(spec.kind, v, false, `${section}.${key}`)
        } catch (problem) {
          if (!(problem instanceof ValueProblem)) throw problem
          throw new ConfigError(`${section}.${key}`, problem.message, where)
        }
      }
    }
  }

  // the environment: known names override; an unknown KOPLUS_<SECTION>_* of a known section is a typo
  const usedEnv: string[] = []
  const known = new Map<string, [string, string, KeySpec]>()
  for (const [section, keys] of Object.entries(CONFIG_SPEC)) {
    for (const [key, spec] of Object.entries(keys as Record<string, KeySpec>))
      known.set(envName(section, key), [section, key, spec])
  }
  const sectionPrefixes = Object.keys(CONFIG_SPEC).map((s) => envName(s, '')) // 'KOPLUS_FREESWITCH_' …
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('KOPLUS_') || raw === undefined) continue
    const hit = known.get(name)
    if (!hit) {
      if (sectionPrefixes.some((p) => name.startsWith(p))) {
        throw new ConfigError(
          name,
          `unknown environment variable (known: ${[...known.keys()].filter((k) => sectionPrefixes.some((p) => k.startsWith(p) && name.startsWith(p))).join(', ')})`,
          'environment',
        )
      }
      const meant = nearMiss(name, known)
      if (meant) throw new ConfigError(name, `unknown environment variable; did you mean ${meant}?`, 'environment')
      continue
    }
    const [section, key, spec] = hit
    try {
      values[section][key] = check(spec.kind, raw, true, `${section}.${key}`)
    } catch (problem) {
      if (!(problem instanceof ValueProblem)) throw problem
      throw new ConfigError(`${section}.${key}`, problem.message, `from ${name}`)
    }
    usedEnv.push(name)
  }

  // cross-key checks: feature codes must be distinct and none a prefix of another
  const codes = Object.entries(values.featureCodes) as [string, string][]
  for (const [k1, c1] of codes) {
    for (const [k2, c2] of codes) {
      if (k1 !== k2 && c2.startsWith(c1)) {
        throw new ConfigError(
          `featureCodes.${k2}`,
          c1 === c2
            ? `${c2} is also featureCodes.${k1}`
            : `${c2} begins with featureCodes.${k1} (${c1}); codes must not be prefixes of each other`,
          'after file and environment',
        )
      }
    }
  }

  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p))
  const v = values as Record<string, Record<string, never>>
  return {
    database: {
      url: v.database.url,
      path: v.database.path === ':memory:' ? ':memory:' : abs(v.database.path),
      synchronous: v.database.synchronous,
      cacheMb: v.database.cacheMb,
    },
    freeswitch: {
      host: v.freeswitch.host,
      port: v.freeswitch.port,
      password: v.freeswitch.password,
      transferContext: v.freeswitch.transferContext,
      idleProbeSeconds: v.freeswitch.idleProbeSeconds,
      idleProbeTimeoutSeconds: v.freeswitch.idleProbeTimeoutSeconds,
      nodes:
        v.freeswitch.nodes === null
          ? null
          : (v.freeswitch.nodes as NodeConfig[]).map((n) => ({ ...n, password: n.password ?? v.freeswitch.password })),
      interNodeDialString: v.freeswitch.interNodeDialString,
      nodeLostSeconds: v.freeswitch.nodeLostSeconds,
    },
    api: {
      host: v.api.host,
      port: v.api.port,
      advertiseUrl: v.api.advertiseUrl,
      metricsTokenFile: v.api.metricsTokenFile === null ? null : abs(v.api.metricsTokenFile),
      clientAddressHeader: v.api.clientAddressHeader,
      trustedProxies: (v.api.trustedProxies as string).split(','),
    },
    sounds: { dir: v.sounds.dir === null ? join(packageRoot(), 'sounds') : abs(v.sounds.dir) },
    recordings: { dir: abs(v.recordings.dir) },
    log: { level: v.log.level, format: v.log.format },
    featureCodes: { ...v.featureCodes } as unknown as Config['featureCodes'],
    calls: { unknownQueueAction: v.calls.unknownQueueAction },
    devices: { ...v.devices } as unknown as Config['devices'],
    callback: { dialString: v.callback.dialString },
    source: { file, env: usedEnv.sort() },
  }
}

/** The default configuration (no file, no environment). */
export function defaultConfig(cwd?: string): Config {
  return loadConfig({ env: {}, cwd })
}

const REDACTED = '[redacted]'

/** A copy safe to log: every secret replaced by '[redacted]'. */
export function redactConfig(cfg: Config): Config {
  const copy = structuredClone(cfg)
  copy.freeswitch.password = REDACTED
  for (const n of copy.freeswitch.nodes ?? []) n.password = REDACTED
  if (copy.database.url !== null) {
    const u = new URL(copy.database.url)
    if (u.password) u.password = '***' // URL would percent-encode '[redacted]'
    copy.database.url = u.toString()
  }
  return copy
}

/** pino `redact` paths for objects that embed the config or the ESL password. */
export const CONFIG_REDACT_PATHS: readonly string[] = [
  'freeswitch.password',
  'config.freeswitch.password',
  'freeswitch.nodes[*].password',
  'config.freeswitch.nodes[*].password',
  'password',
  '*.password',
]

/**
 * The FreeSWITCH dial string of a device from the configured templates, e.g.
 * deviceDialString(cfg.devices, { type: 'softphone', target: '1001' }, 'default') → 'user/1001@default'.
 */
export function deviceDialString(
  devices: Config['devices'],
  device: { type: 'softphone' | 'deskphone' | 'mobile'; target: string },
  domain: string,
): string {
  const vars: Record<string, string> = { target: device.target, domain, gateway: devices.mobileGateway }
  return devices[device.type].replace(/\$\{(target|domain|gateway)\}/g, (_, name: string) => vars[name])
}
