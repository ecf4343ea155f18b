/** loadConfig: defaults, file, environment overrides, errors that name the key, redaction, docs in sync. */
import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CONFIG_SPEC,
  ConfigError,
  configPathFromArgv,
  defaultConfig,
  deviceDialString,
  envName,
  loadConfig,
  packageRoot,
  redactConfig,
} from '../../src/config/index.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-config-'))
let n = 0
function file(content: unknown): string {
  const p = join(dir, `c${++n}.json`)
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
  return p
}
/** The ConfigError a call throws. */
function configError(t: Test, fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    if (e instanceof ConfigError) return e
    throw e
  }
  t.fail('expected a ConfigError')
  throw new Error('no error')
}

t.test('defaults', async (t) => {
  const c = loadConfig({ env: {}, cwd: '/srv/koplus' })
  t.same(c.database, { url: null, path: '/srv/koplus/data/koplus.sqlite', synchronous: 'NORMAL', cacheMb: 2 })
  t.same(c.freeswitch, {
    host: '127.0.0.1',
    port: 8021,
    password: 'ClueCon',
    transferContext: 'default',
    idleProbeSeconds: 5,
    idleProbeTimeoutSeconds: 3,
    nodes: null,
    interNodeDialString: 'sofia/internal/${target}@${nodeAddress}',
    nodeLostSeconds: 30,
  })
  t.same(c.api, {
    host: '127.0.0.1',
    port: 8080,
    advertiseUrl: null,
    metricsTokenFile: null,
    clientAddressHeader: 'none',
    trustedProxies: ['127.0.0.1', '::1'],
  })
  t.equal(c.sounds.dir, join(packageRoot(), 'sounds'))
  t.equal(c.recordings.dir, '/srv/koplus/data/recordings')
  t.equal(c.log.level, 'info')
  t.equal(c.log.format, 'auto', 'pretty on a terminal, JSON otherwise')
  t.same(c.featureCodes, { login: '*71', logout: '*72', device: '*73', pause: '*74', wrapUpEnd: '*75', record: '*79' })
  t.same(c.devices, {
    softphone: 'user/${target}@${domain}',
    deskphone: 'user/${target}@${domain}',
    mobile: 'sofia/gateway/${gateway}/${target}',
    mobileGateway: 'pstn',
  })
  t.same(c.source, { file: null, env: [] })
  t.ok(readFileSync(join(packageRoot(), 'package.json'), 'utf8').includes('"name": "koplus"'))
})

t.test('a file overrides defaults; the environment overrides the file', async (t) => {
  const p = file({
    freeswitch: { host: 'fs.example', password: 'secret' },
    api: { port: 9090 },
    featureCodes: { login: '*81' },
    sounds: { dir: 'snd' },
  })
  const c = loadConfig({
    argvPath: p,
    env: { KOPLUS_API_PORT: '7000', KOPLUS_FEATURE_CODES_WRAP_UP_END: '*85', PATH: '/bin', KOPLUS_OTHER_THING: 'x' },
    cwd: dir,
  })
  t.equal(c.freeswitch.host, 'fs.example')
  t.equal(c.freeswitch.port, 8021, 'unset keys keep their default')
  t.equal(c.freeswitch.password, 'secret')
  t.equal(c.api.port, 7000, 'env wins over the file, parsed as an integer')
  t.equal(c.featureCodes.login, '*81')
  t.equal(c.featureCodes.wrapUpEnd, '*85')
  t.equal(c.sounds.dir, join(dir, 'snd'))
  const m = loadConfig({ env: { KOPLUS_API_METRICS_TOKEN_FILE: 'secrets/metrics-token' }, cwd: dir })
  t.equal(
    m.api.metricsTokenFile,
    join(dir, 'secrets/metrics-token'),
    'api.metricsTokenFile from the environment, resolved against the working directory',
  )
  t.same(c.source, { file: p, env: ['KOPLUS_API_PORT', 'KOPLUS_FEATURE_CODES_WRAP_UP_END'] })

  // KOPLUS_CONFIG names the file when --config is not given; --config wins over it
  const p2 = file({ log: { level: 'debug' } })
  t.equal(loadConfig({ env: { KOPLUS_CONFIG: p2 } }).log.level, 'debug')
  t.equal(loadConfig({ argvPath: p, env: { KOPLUS_CONFIG: p2 } }).log.level, 'info')
  t.equal(loadConfig({ env: { KOPLUS_FREESWITCH_PASSWORD: 'pw' } }).freeswitch.password, 'pw')
  t.equal(configPathFromArgv(['node', 'koplus', 'daemon', '--config', '/etc/k.json']), '/etc/k.json')
  t.equal(configPathFromArgv(['daemon', '--config=/etc/k.json']), '/etc/k.json')
  t.equal(configPathFromArgv(['daemon']), undefined)
})

t.test('errors name the key, the problem and the source', async (t) => {
  let e = configError(t, () => loadConfig({ env: { KOPLUS_FREESWITCH_PORT: 'abc' } }))
  t.equal(e.message, 'freeswitch.port: expected an integer 1-65535, got "abc" (from KOPLUS_FREESWITCH_PORT)')
  t.equal(e.key, 'freeswitch.port')

  const bad = file({ freeswitch: { port: 'abc' } })
  e = configError(t, () => loadConfig({ argvPath: bad, env: {} }))
  t.equal(e.message, `freeswitch.port: expected an integer 1-65535, got "abc" (in ${bad})`)
  t.equal(
    configError(t, () => loadConfig({ argvPath: file({ freeswitch: { port: 70000 } }), env: {} })).problem,
    'expected an integer 1-65535, got 70000',
  )
  t.equal(
    configError(t, () => loadConfig({ argvPath: file({ freeswitch: { port: 8021.5 } }), env: {} })).key,
    'freeswitch.port',
  )

  e = configError(t, () => loadConfig({ argvPath: file({ freeswitch: { pasword: 'x' } }), env: {} }))
  t.equal(e.key, 'freeswitch.pasword')
  t.match(
    e.message,
    /^freeswitch\.pasword: unknown key \(known in freeswitch: host, port, password, transferContext, idleProbeSeconds, idleProbeTimeoutSeconds, nodes, interNodeDialString, nodeLostSeconds\)/,
  )
  t.equal(configError(t, () => loadConfig({ argvPath: file({ fs: {} }), env: {} })).key, 'fs')
  t.equal(
    configError(t, () => loadConfig({ argvPath: file({ api: 8080 }), env: {} })).problem,
    'expected an object, got 8080',
  )
  t.equal(
    configError(t, () => loadConfig({ env: { KOPLUS_FREESWITCH_PASWORD: 'x' } })).key,
    'KOPLUS_FREESWITCH_PASWORD',
  )
  // near-misses of a known variable outside its section prefix (issue 10: the docs said KOPLUS_FS_PASSWORD)
  e = configError(t, () => loadConfig({ env: { KOPLUS_FS_PASSWORD: 'secret' } }))
  t.equal(e.key, 'KOPLUS_FS_PASSWORD')
  t.match(e.message, /did you mean KOPLUS_FREESWITCH_PASSWORD\?/)
  t.notMatch(e.message, /secret/, 'the value is not echoed')
  t.match(
    configError(t, () => loadConfig({ env: { KOPLUS_DB_PATH: '/x.sqlite' } })).message,
    /did you mean KOPLUS_DATABASE_PATH/,
  )
  t.match(
    configError(t, () => loadConfig({ env: { KOPLUS_FREESWICH_PORT: '8021' } })).message,
    /did you mean KOPLUS_FREESWITCH_PORT/,
  )
  // the CLI's own variables and unrelated names are not near-misses
  t.doesNotThrow(() =>
    loadConfig({
      env: {
        KOPLUS_PASSWORD: 'x',
        KOPLUS_TOKEN: 't',
        KOPLUS_API: 'http://127.0.0.1:1',
        KOPLUS_CONFIG: '',
        KOPLUS_IT_RUNNER: 'x',
        KOPLUS_ESL_CAPTURES: '/x',
      },
    }),
  )
  t.equal(
    configError(t, () => loadConfig({ env: { KOPLUS_LOG_LEVEL: 'loud' } })).problem,
    'expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
  )
  t.equal(configError(t, () => loadConfig({ env: { KOPLUS_FEATURE_CODES_LOGIN: '71' } })).key, 'featureCodes.login')
  t.match(
    configError(t, () => loadConfig({ env: { KOPLUS_FEATURE_CODES_PAUSE: '*7' } })).problem,
    /\*71 begins with featureCodes\.pause \(\*7\)/,
  )
  t.match(
    configError(t, () => loadConfig({ env: { KOPLUS_FEATURE_CODES_PAUSE: '*71' } })).problem,
    /is also featureCodes/,
  )
  t.equal(
    configError(t, () => loadConfig({ env: { KOPLUS_DEVICES_MOBILE: 'sofia/gateway/${gw}/${target}' } })).problem,
    'unknown variable ${gw} (allowed: ${target}, ${domain}, ${gateway})',
  )
  t.equal(
    configError(t, () => loadConfig({ env: { KOPLUS_DEVICES_SOFTPHONE: 'user/1001' } })).problem,
    'must contain ${target}',
  )
  t.equal(configError(t, () => loadConfig({ env: { KOPLUS_API_HOST: 'not a host' } })).key, 'api.host')

  e = configError(t, () => loadConfig({ argvPath: join(dir, 'missing.json'), env: {} }))
  t.equal(e.key, 'config')
  t.match(e.message, /missing\.json not found \(--config\)/)
  t.match(configError(t, () => loadConfig({ argvPath: file('{ "api": '), env: {} })).message, /is not valid JSON/)
})

t.test('the password is never in an error message or a redacted config', async (t) => {
  const e = configError(t, () => loadConfig({ env: { KOPLUS_FREESWITCH_PASSWORD: '' } }))
  t.equal(e.key, 'freeswitch.password')
  const c = loadConfig({ env: { KOPLUS_FREESWITCH_PASSWORD: 'hunter2-secret' } })
  const r = redactConfig(c)
  t.equal(r.freeswitch.password, '[redacted]')
  t.notOk(JSON.stringify(r).includes('hunter2-secret'))
  t.equal(c.freeswitch.password, 'hunter2-secret', 'the original is untouched')
})

t.test('dial strings from the device templates', async (t) => {
  const c = defaultConfig()
  t.equal(deviceDialString(c.devices, { type: 'softphone', target: '1001' }, 'default'), 'user/1001@default')
  t.equal(
    deviceDialString(c.devices, { type: 'mobile', target: '+46701234567' }, 'default'),
    'sofia/gateway/pstn/+46701234567',
  )
})

t.test(
  'conf/koplus.example.json holds every key with its default; docs/configuration.md lists every key',
  async (t) => {
    const example = join(packageRoot(), 'conf', 'koplus.example.json')
    const parsed = JSON.parse(readFileSync(example, 'utf8')) as Record<string, Record<string, unknown>>
    const docs = readFileSync(join(packageRoot(), 'docs', 'configuration.md'), 'utf8')
    for (const [section, keys] of Object.entries(CONFIG_SPEC)) {
      for (const [key, spec] of Object.entries(keys as Record<string, { default: unknown }>)) {
        t.same(parsed[section]?.[key], spec.default, `example ${section}.${key}`)
        const row = docs.split('\n').find((l) => l.startsWith(`| \`${section}.${key}\` |`))
        t.ok(row, `docs row for ${section}.${key}`)
        t.ok(row?.includes(`\`${envName(section, key)}\``), `docs env name for ${section}.${key}`)
        t.ok(
          row?.includes(`\`${spec.default === null ? 'null' : String(spec.default)}\``),
          `docs default for ${section}.${key}`,
        )
      }
      t.same(Object.keys(parsed[section]), Object.keys(keys), `example section ${section} has exactly the known keys`)
    }
    t.same(
      loadConfig({ argvPath: example, env: {}, cwd: dir }),
      { ...defaultConfig(dir), source: { file: example, env: [] } },
      'the example loads to the defaults',
    )
  },
)

t.test(
  'the CLI finds its config: --config, else KOPLUS_CONFIG, else /etc/koplus/koplus.json if it exists (issue 10.4)',
  async (t) => {
    const { cliConfigPath, SYSTEM_CONFIG } = await import('../../src/config/paths.js')
    t.equal(SYSTEM_CONFIG, '/etc/koplus/koplus.json')
    const there = (p: string) => p === SYSTEM_CONFIG
    const nothing = () => false
    t.equal(cliConfigPath('/x/arg.json', { KOPLUS_CONFIG: '/x/env.json' }, there), '/x/arg.json')
    t.equal(cliConfigPath(undefined, { KOPLUS_CONFIG: '/x/env.json' }, there), '/x/env.json')
    t.equal(cliConfigPath(undefined, {}, there), SYSTEM_CONFIG)
    t.equal(cliConfigPath(undefined, { KOPLUS_CONFIG: '' }, there), SYSTEM_CONFIG, 'an empty KOPLUS_CONFIG is unset')
    t.equal(cliConfigPath(undefined, {}, nothing), undefined, 'no file: the built-in defaults')
    // the production config only overrides what differs from the defaults, with absolute paths (any working directory)
    const prod = loadConfig({
      argvPath: join(import.meta.dirname, '..', '..', 'conf', 'koplus.production.json'),
      env: {},
      cwd: '/somewhere/else',
    })
    t.equal(prod.database.path, '/var/lib/koplus/koplus.sqlite')
    t.equal(prod.recordings.dir, '/var/lib/koplus/recordings')
  },
)

t.test('the ESL idle probe and the log format: from the environment, checked', async (t) => {
  const c = loadConfig({
    env: {
      KOPLUS_FREESWITCH_IDLE_PROBE_SECONDS: '0',
      KOPLUS_FREESWITCH_IDLE_PROBE_TIMEOUT_SECONDS: '10',
      KOPLUS_LOG_FORMAT: 'json',
    },
  })
  t.equal(c.freeswitch.idleProbeSeconds, 0, '0 turns the probe off')
  t.equal(c.freeswitch.idleProbeTimeoutSeconds, 10)
  t.equal(c.log.format, 'json')
  t.equal(
    configError(t, () => loadConfig({ env: { KOPLUS_FREESWITCH_IDLE_PROBE_TIMEOUT_SECONDS: '0' } })).message,
    'freeswitch.idleProbeTimeoutSeconds: expected an integer 1-60, got "0" (from KOPLUS_FREESWITCH_IDLE_PROBE_TIMEOUT_SECONDS)',
  )
  t.equal(
    configError(t, () => loadConfig({ argvPath: file({ freeswitch: { idleProbeSeconds: 301 } }), env: {} })).problem,
    'expected an integer 0-300, got 301',
  )
  t.equal(
    configError(t, () => loadConfig({ env: { KOPLUS_LOG_FORMAT: 'text' } })).problem,
    'expected one of auto, json, pretty, got "text"',
  )
})

t.test('api.clientAddressHeader and api.trustedProxies (login throttling behind a reverse proxy)', async (t) => {
  const c = loadConfig({
    env: { KOPLUS_API_CLIENT_ADDRESS_HEADER: 'x-forwarded-for', KOPLUS_API_TRUSTED_PROXIES: '10.0.0.5,fd00::5' },
    cwd: '/srv/koplus',
  })
  t.same(c.api, {
    host: '127.0.0.1',
    port: 8080,
    advertiseUrl: null,
    metricsTokenFile: null,
    clientAddressHeader: 'x-forwarded-for',
    trustedProxies: ['10.0.0.5', 'fd00::5'],
  })
  t.throws(
    () => loadConfig({ env: { KOPLUS_API_CLIENT_ADDRESS_HEADER: 'forwarded-for' }, cwd: '/srv/koplus' }),
    /api\.clientAddressHeader: expected one of none, x-forwarded-for, x-real-ip/,
  )
  t.throws(
    () => loadConfig({ env: { KOPLUS_API_TRUSTED_PROXIES: 'proxy.example' }, cwd: '/srv/koplus' }),
    /api\.trustedProxies: expected IP addresses separated by commas/,
  )
})

t.test('calls.unknownQueueAction: busy by default, hangup or forward:<number>; anything else is refused', async (t) => {
  t.equal(defaultConfig(dir).calls.unknownQueueAction, 'busy')
  t.equal(
    loadConfig({ env: { KOPLUS_CALLS_UNKNOWN_QUEUE_ACTION: 'forward:0701234567' } }).calls.unknownQueueAction,
    'forward:0701234567',
  )
  t.equal(
    loadConfig({ argvPath: file({ calls: { unknownQueueAction: 'hangup' } }), env: {} }).calls.unknownQueueAction,
    'hangup',
  )
  const e = configError(t, () => loadConfig({ env: { KOPLUS_CALLS_UNKNOWN_QUEUE_ACTION: 'forward:' } }))
  t.equal(e.key, 'calls.unknownQueueAction')
  t.match(e.message, /'busy', 'hangup' or 'forward:<number>'/)
})

t.test(
  'database.url: postgres:// selects PostgreSQL; unset or empty in the environment means SQLite; bad URLs refused without showing the password',
  async (t) => {
    t.equal(loadConfig({ env: {}, cwd: '/srv/koplus' }).database.url, null)
    const url = 'postgres://koplus:s3cret-pw@db.example:5432/koplus'
    t.equal(loadConfig({ env: { KOPLUS_DATABASE_URL: url }, cwd: '/srv/koplus' }).database.url, url)
    t.equal(loadConfig({ env: { KOPLUS_DATABASE_URL: '' }, cwd: '/srv/koplus' }).database.url, null)
    t.equal(
      loadConfig({ argvPath: file({ database: { url: 'postgresql://db.example/koplus' } }), env: {}, cwd: dir })
        .database.url,
      'postgresql://db.example/koplus',
    )

    const bad = (value: string): ConfigError =>
      configError(t, () => loadConfig({ env: { KOPLUS_DATABASE_URL: value }, cwd: '/srv/koplus' }))
    for (const [value, problem] of [
      [
        'mysql://koplus:s3cret-pw@db.example/koplus',
        /database\.url: expected a postgres:\/\/user:password@host:port\/database URL or null, got "mysql:\/\/koplus:\*\*\*@db\.example\/koplus"/,
      ],
      ['postgres://koplus:s3cret-pw@db.example', /database\.url: names no database/],
      ['not a url s3cret-pw', /database\.url: expected .* got a value that is not a URL/],
    ] as const) {
      const e = bad(value)
      t.match(e.message, problem)
      t.notMatch(e.message, /s3cret-pw/, 'the password is not in the error')
    }
    const redacted = redactConfig(loadConfig({ env: { KOPLUS_DATABASE_URL: url }, cwd: '/srv/koplus' }))
    t.equal(redacted.database.url, 'postgres://koplus:***@db.example:5432/koplus')
  },
)
