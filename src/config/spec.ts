/**
 * Every configuration key: its type, default and meaning. loadConfig() validates against this table,
 * the environment variable names are derived from it (KOPLUS_<SECTION>_<KEY>, camelCase → SNAKE_CASE),
 * and a test checks that conf/koplus.example.json and docs/configuration.md list every key.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
export type LogFormat = 'auto' | 'json' | 'pretty'
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty']

export type KeyKind =
  | { type: 'string'; re?: RegExp; what?: string; secret?: boolean }
  | { type: 'int'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  /** A file system path; relative paths are resolved against the working directory. null allowed when nullMeans is set. */
  | { type: 'path'; nullMeans?: string }
  /** A dial-string template: must contain every `required` variable and no other than `allowed`. */
  | { type: 'template'; required: readonly string[]; allowed: readonly string[] }
  | { type: 'featureCode' }
  /** A postgres:// or postgresql:// URL with a host and a database name; it may hold a password (never shown). */
  | { type: 'postgresUrl'; nullMeans: string }
  /** `freeswitch.nodes`: a JSON array of { id, host, port?, password?, sipAddress? } (null: one node from host/port). */
  | { type: 'nodes'; nullMeans: string }
  /** An http(s):// origin another machine can connect to (src/config/advertise-url.ts). */
  | { type: 'advertiseUrl'; nullMeans: string }

export interface KeySpec {
  kind: KeyKind
  default: ConfigValue
  doc: string
}

/** One node of `freeswitch.nodes` after validation. */
export interface NodeConfig {
  id: string
  host: string
  port: number
  /** Absent: freeswitch.password. */
  password?: string
  /** Absent: host. */
  sipAddress?: string
}

/** A configuration value. */
export type ConfigValue = string | number | null | NodeConfig[]

export const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$|^::1$/
const HOST = { type: 'string', re: HOST_RE, what: 'a host name or IP address' } as const
/** Where the API listens: a host, or the wildcards 0.0.0.0 (in HOST_RE) and :: (every IPv6 and IPv4 address). */
const LISTEN_HOST = {
  type: 'string',
  re: new RegExp(`${HOST_RE.source}|^::$`),
  what: 'a host name or IP address (0.0.0.0 or :: for every address)',
} as const
const DIAL_VARS = ['target', 'domain', 'gateway'] as const

export const CONFIG_SPEC = {
  database: {
    url: {
      kind: { type: 'postgresUrl', nullMeans: 'SQLite at database.path (the default)' },
      default: null,
      doc: 'postgres://user:password@host:port/database selects PostgreSQL as the shared store (docs/scale-out.md); unset: SQLite. The password is never logged.',
    },
    path: {
      kind: { type: 'path' },
      default: './data/koplus.sqlite',
      doc: 'The SQLite file; its directory is created at start-up.',
    },
    synchronous: {
      kind: { type: 'enum', values: ['NORMAL', 'FULL'] },
      default: 'NORMAL',
      doc: 'SQLite synchronous mode with WAL. NORMAL: every change survives a crash of koplus; FULL: also a power loss (an fsync per change).',
    },
    cacheMb: {
      kind: { type: 'int', min: 1, max: 1024 },
      default: 2,
      doc: "SQLite's page cache, in MB (PRAGMA cache_size). The file's pages are in the operating system's cache as well; a bigger cache saves a read system call per page and grows with the calls held (bench/scale-daemon: 16 MB, better-sqlite3's default, was ~1.8 KB of RSS per waiting caller at 10,000).",
    },
  },
  freeswitch: {
    host: {
      kind: HOST,
      default: '127.0.0.1',
      doc: 'Address of FreeSWITCH mod_event_socket (event_socket.conf.xml listen-ip).',
    },
    port: { kind: { type: 'int', min: 1, max: 65535 }, default: 8021, doc: 'Port of mod_event_socket (listen-port).' },
    password: {
      kind: { type: 'string', secret: true },
      default: 'ClueCon',
      doc: 'mod_event_socket password. Never logged. Change it in FreeSWITCH and here.',
    },
    transferContext: {
      kind: { type: 'string', re: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, what: 'a dialplan context name' },
      default: 'default',
      doc: 'Dialplan context forwarded callers are transferred into (uuid_transfer <uuid> <number> XML <context>); it must be able to dial the forward numbers.',
    },
    idleProbeSeconds: {
      kind: { type: 'int', min: 0, max: 300 },
      default: 5,
      doc: 'After this many seconds without a byte from FreeSWITCH, koplus sends one `api status` to check the link (0 = never).',
    },
    idleProbeTimeoutSeconds: {
      kind: { type: 'int', min: 1, max: 60 },
      default: 3,
      doc: 'If nothing at all arrives within this many seconds of that probe, the link is taken as dead: koplus drops it, reconnects and reconciles.',
    },
    nodes: {
      kind: { type: 'nodes', nullMeans: 'one node, "default", at freeswitch.host / port / password' },
      default: null,
      doc: 'Several FreeSWITCH nodes: [{ "id", "host", "port" (8021), "password" (freeswitch.password), "sipAddress" (host) }]; one ESL connection each (docs/scale-out.md). Passwords are never logged.',
    },
    interNodeDialString: {
      kind: { type: 'template', required: ['target'], allowed: ['target', 'domain', 'nodeAddress', 'node'] },
      default: 'sofia/internal/${target}@${nodeAddress}',
      doc: "How the caller's node dials an agent whose phone is registered on another node: ${nodeAddress} = that node's sipAddress, ${node} its id, ${domain} the tenant domain; or a SIP proxy in front of all nodes.",
    },
    nodeLostSeconds: {
      kind: { type: 'int', min: 1, max: 3600 },
      default: 30,
      doc: 'A node whose ESL connection stays down this long is taken as lost: its calls are ended and phones registered only there are unreachable; the other nodes go on.',
    },
  },
  api: {
    host: {
      kind: LISTEN_HOST,
      default: '127.0.0.1',
      doc: 'Address the control API and web pages listen on. Keep it on loopback unless a TLS proxy is in front.',
    },
    port: {
      kind: { type: 'int', min: 0, max: 65535 },
      default: 8080,
      doc: 'Port of the control API and web pages (0 = any free port, for tests).',
    },
    advertiseUrl: {
      kind: { type: 'advertiseUrl', nullMeans: 'the address the API listens on (api.host:api.port)' },
      default: null,
      doc: "Active/standby (database.url): this daemon's API as the other daemons reach it, e.g. http://10.0.0.5:8080; a standby forwards changes there. Required when api.host is 0.0.0.0 or :: (docs/scale-out.md).",
    },
    metricsTokenFile: {
      kind: { type: 'path', nullMeans: 'no token: /metrics answers whoever reaches api.host' },
      default: null,
      doc: 'File holding a bearer token that GET /metrics then requires (Prometheus: authorization.credentials_file). Read at start-up; never logged.',
    },
    clientAddressHeader: {
      kind: { type: 'enum', values: ['none', 'x-forwarded-for', 'x-real-ip'] },
      default: 'none',
      doc: 'Behind a reverse proxy: the header it puts the client address in (login throttling counts per client address). Believed only from api.trustedProxies.',
    },
    trustedProxies: {
      kind: { type: 'string', re: /^[0-9A-Fa-f.:]+(,[0-9A-Fa-f.:]+)*$/, what: 'IP addresses separated by commas' },
      default: '127.0.0.1,::1',
      doc: 'Comma-separated addresses of the reverse proxies whose api.clientAddressHeader is believed.',
    },
  },
  sounds: {
    dir: {
      kind: { type: 'path', nullMeans: 'the sounds shipped with koplus (<package root>/sounds)' },
      default: null,
      doc: 'Directory of the built-in prompts (sv/, en/).',
    },
  },
  recordings: {
    dir: {
      kind: { type: 'path' },
      default: './data/recordings',
      doc: 'Where prompts recorded by phone or uploaded are stored.',
    },
  },
  log: {
    level: { kind: { type: 'enum', values: LOG_LEVELS }, default: 'info', doc: 'pino log level.' },
    format: {
      kind: { type: 'enum', values: LOG_FORMATS },
      default: 'auto',
      doc: 'auto: pretty lines on a terminal, JSON lines otherwise; json or pretty: always that.',
    },
  },
  featureCodes: {
    login: {
      kind: { type: 'featureCode' },
      default: '*71',
      doc: 'Log in to all my queues; followed by a queue number: to that queue.',
    },
    logout: {
      kind: { type: 'featureCode' },
      default: '*72',
      doc: 'Log out of all my queues; followed by a queue number: of that queue.',
    },
    device: {
      kind: { type: 'featureCode' },
      default: '*73',
      doc: 'Followed by a device number (1, 2, …): choose the active device.',
    },
    pause: {
      kind: { type: 'featureCode' },
      default: '*74',
      doc: 'Pause / unpause; optionally followed by a reason code.',
    },
    wrapUpEnd: { kind: { type: 'featureCode' }, default: '*75', doc: 'End wrap-up now.' },
    record: {
      kind: { type: 'featureCode' },
      default: '*79',
      doc: 'Followed by a prompt number: record that prompt (administrators).',
    },
  },
  calls: {
    unknownQueueAction: {
      kind: {
        type: 'string',
        re: /^(busy|hangup|forward:[0-9+*#]{1,32})$/,
        what: "'busy', 'hangup' or 'forward:<number>'",
      },
      default: 'busy',
      doc: 'What happens to a caller found waiting after a restart whose queue no longer exists (deleted while koplus was down): busy (USER_BUSY), hangup, or forward:<number>.',
    },
  },
  devices: {
    softphone: {
      kind: { type: 'template', required: ['target'], allowed: DIAL_VARS },
      default: 'user/${target}@${domain}',
      doc: 'Dial string of a softphone; ${target} = SIP user, ${domain} = the tenant domain.',
    },
    deskphone: {
      kind: { type: 'template', required: ['target'], allowed: DIAL_VARS },
      default: 'user/${target}@${domain}',
      doc: 'Dial string of a desk phone.',
    },
    mobile: {
      kind: { type: 'template', required: ['target'], allowed: DIAL_VARS },
      default: 'sofia/gateway/${gateway}/${target}',
      doc: 'Dial string of a mobile; ${target} = the phone number, ${gateway} = devices.mobileGateway.',
    },
    mobileGateway: {
      kind: { type: 'string', re: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, what: 'a sofia gateway name' },
      default: 'pstn',
      doc: 'The sofia gateway mobiles are called through.',
    },
  },
  callback: {
    dialString: {
      kind: { type: 'template', required: ['number'], allowed: ['number', 'gateway'] },
      default: 'sofia/gateway/${gateway}/${number}',
      doc: 'Dial string of a callback (docs/callback.md); ${number} = the number the caller confirmed, ${gateway} = devices.mobileGateway.',
    },
  },
} as const satisfies Record<string, Record<string, KeySpec>>

const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()

/** The environment variable overriding a key, e.g. envName('featureCodes', 'wrapUpEnd') → 'KOPLUS_FEATURE_CODES_WRAP_UP_END'. */
export function envName(section: string, key: string): string {
  return `KOPLUS_${snake(section)}_${snake(key)}`
}
