/**
 * Which address a daemon of an active/standby pair advertises for its API (issue 12; docs/scale-out.md, "Which
 * address a daemon advertises"): api.advertiseUrl when set, else the listening address; a wildcard api.host without
 * api.advertiseUrl, or an application_name PostgreSQL would cut, stops the start with a StartupError before anything
 * is opened.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { advertisedApi, Leadership, parseApplicationName } from '../../src/daemon/leadership.js'
import { createLogger, runDaemonCommand } from '../../src/daemon/index.js'

const base = { nodeId: 'node-a', advertiseUrl: null, host: '10.0.0.5', listening: 'http://10.0.0.5:8080' }

t.test('advertiseUrl when set, else the listening address', async (t) => {
  t.same(advertisedApi(base), { url: 'http://10.0.0.5:8080' })
  t.same(advertisedApi({ ...base, advertiseUrl: 'https://koplus-a.example' }), { url: 'https://koplus-a.example' })
  t.same(
    advertisedApi({ ...base, host: '0.0.0.0', listening: 'http://0.0.0.0:8080', advertiseUrl: 'http://10.0.0.5:8080' }),
    { url: 'http://10.0.0.5:8080' },
    'a wildcard host with advertiseUrl: the URL',
  )
})

t.test('a wildcard api.host without advertiseUrl is refused, naming the key and the remedy', async (t) => {
  for (const [host, listening] of [
    ['0.0.0.0', 'http://0.0.0.0:8080'],
    ['::', 'http://[::]:8080'],
  ]) {
    const r = advertisedApi({ ...base, host, listening })
    t.ok('problem' in r, `${host} refused`)
    if ('problem' in r) {
      t.equal(r.key, 'api.advertiseUrl')
      t.match(r.problem, new RegExp(`api\\.host ${host.replace(/\./g, '\\.')} listens on every address`))
      t.match(r.problem, /set api\.advertiseUrl/)
    }
  }
})

t.test('what PostgreSQL would cut (application_name keeps 63 bytes) is refused, not silently dropped', async (t) => {
  const fits = advertisedApi({ ...base, nodeId: 'a', advertiseUrl: 'https://koplus-a.callcentre.example.com' })
  t.same(fits, { url: 'https://koplus-a.callcentre.example.com' })
  // and it comes back whole from application_name, as a standby reads it
  t.same(parseApplicationName('koplus a https://koplus-a.callcentre.example.com'), {
    nodeId: 'a',
    api: 'https://koplus-a.callcentre.example.com',
  })
  const long = advertisedApi({
    ...base,
    nodeId: 'ip-10-0-1-23.eu-north-1.compute.internal:12345',
    advertiseUrl: 'http://10.0.1.23:8080',
  })
  t.ok('problem' in long, 'refused')
  if ('problem' in long) t.match(long.problem, /is 75 bytes; PostgreSQL keeps 63.*shorten KOPLUS_NODE_ID/)
})

t.test('koplus daemon refuses to start in a pair with api.host 0.0.0.0 and no api.advertiseUrl', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-advertise-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString())
      cb()
    },
  })
  let apiStarted = false
  const env = {
    // nothing listens on port 1: had the daemon opened its store first, the error would be a connection error
    KOPLUS_DATABASE_URL: 'postgres://koplus@127.0.0.1:1/koplus',
    KOPLUS_DATABASE_PATH: join(dir, 'koplus.sqlite'),
    KOPLUS_API_HOST: '0.0.0.0',
    KOPLUS_FREESWITCH_PORT: '1',
  }
  const err = await runDaemonCommand({
    env,
    handleSignals: false,
    logger: createLogger('info', { pretty: false, destination: stream }),
    startApi: () => {
      apiStarted = true
      return Promise.reject(new Error('must not be reached'))
    },
  }).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string; key?: string },
  )
  t.equal(err?.code, 'KOPLUS_STARTUP_FAILED')
  t.equal(err?.key, 'api.advertiseUrl')
  t.match(err?.message, /^api\.advertiseUrl: api\.host 0\.0\.0\.0 listens on every address/)
  t.notOk(apiStarted, 'refused before the store is opened or the API listens')

  // the same pair with api.advertiseUrl set gets past this check (and then fails on the absent PostgreSQL)
  const next = await runDaemonCommand({
    env: { ...env, KOPLUS_API_ADVERTISE_URL: 'http://10.0.0.5:8080' },
    handleSignals: false,
    logger: createLogger('silent', { pretty: false, destination: stream }),
  }).then(
    () => undefined,
    (e: unknown) => e as Error & { key?: string },
  )
  t.ok(next, 'still fails without PostgreSQL')
  t.not(next?.key, 'api.advertiseUrl', `but not on api.advertiseUrl: ${next?.message}`)
})

t.test('a single daemon (no database.url) advertises nothing and may listen on 0.0.0.0', async (t) => {
  // advertisedApi is only consulted for a pair; nothing to refuse without database.url
  const dir = mkdtempSync(join(tmpdir(), 'koplus-advertise-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  let reached = false
  const err = await runDaemonCommand({
    env: { KOPLUS_DATABASE_PATH: join(dir, 'koplus.sqlite'), KOPLUS_API_HOST: '0.0.0.0', KOPLUS_FREESWITCH_PORT: '1' },
    handleSignals: false,
    logger: createLogger('silent', { pretty: false }),
    startApi: () => {
      reached = true
      return Promise.reject(Object.assign(new Error('listen EACCES'), { code: 'EACCES' }))
    },
  }).then(
    () => undefined,
    (e: unknown) => e as Error,
  )
  t.ok(reached, 'the start went on to the API')
  t.match(err?.message, /^api\.port: no permission/, 'and stopped there (the stub), not on api.advertiseUrl')
})

t.test('a lock connection that cannot carry its API URL says so in the log (after the start-up check)', async (t) => {
  // e.g. api.host names a host whose address, known only once the API listens, is longer than the name was
  for (const [nodeId, warns] of [
    ['n'.repeat(40), true],
    ['a', false],
  ] as const) {
    const logs: { msg: string }[] = []
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          logs.push(JSON.parse(chunk.toString()) as { msg: string })
          cb()
        },
      }),
    )
    // nothing listens on port 1: the connection fails at once, after the name was chosen
    const l = new Leadership({
      url: 'postgres://koplus@127.0.0.1:1/koplus',
      nodeId,
      apiUrl: 'http://10.0.0.5:8080',
      logger,
    })
    l.start()
    const end = performance.now() + 5000
    while (!logs.some((x) => /cannot reach PostgreSQL/.test(x.msg)) && performance.now() < end)
      await new Promise((r) => setTimeout(r, 10))
    await l.stop()
    t.ok(
      logs.some((x) => /cannot reach PostgreSQL/.test(x.msg)),
      `${nodeId.length}-byte id: it tried to connect`,
    )
    t.equal(
      logs.some((x) => /exceeds the 63 bytes PostgreSQL keeps of application_name/.test(x.msg)),
      warns,
      `${nodeId.length}-byte id: ${warns ? 'warned' : 'no warning'}`,
    )
  }
})
