/**
 * `api.advertiseUrl` (issue 12): the address a daemon of an active/standby pair gives the others for its API.
 * Validated as an http(s) origin another machine can connect to; `api.host` accepts the IPv6 wildcard `::`.
 */
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, defaultConfig, loadConfig } from '../../src/config/index.js'
import { isWildcardHost } from '../../src/config/advertise-url.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-advertise-'))

const fromEnv = (value: string) => loadConfig({ env: { KOPLUS_API_ADVERTISE_URL: value }, cwd: dir })
const fromFile = (value: unknown) => {
  const p = join(dir, 'c.json')
  writeFileSync(p, JSON.stringify({ api: { advertiseUrl: value } }))
  return loadConfig({ argvPath: p, env: {}, cwd: dir })
}
function problem(f: () => unknown): ConfigError | undefined {
  try {
    f()
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  return undefined
}

t.test('default: not set (the listening address is advertised)', async (t) => {
  t.equal(defaultConfig(dir).api.advertiseUrl, null)
  t.equal(fromEnv('').api.advertiseUrl, null, 'empty in the environment: not set')
  t.equal(fromFile(null).api.advertiseUrl, null)
})

t.test('an http(s) origin is kept as its origin', async (t) => {
  t.equal(fromFile('http://10.0.0.5:8080').api.advertiseUrl, 'http://10.0.0.5:8080')
  t.equal(fromFile('http://10.0.0.5:8080/').api.advertiseUrl, 'http://10.0.0.5:8080', 'a trailing / is dropped')
  t.equal(fromEnv('https://KOPLUS-A.example.com:443').api.advertiseUrl, 'https://koplus-a.example.com', 'default port')
  t.equal(fromEnv('http://[fd00::5]:8080').api.advertiseUrl, 'http://[fd00::5]:8080', 'IPv6 literal')
})

t.test('anything else is refused naming the key and the problem', async (t) => {
  const cases: [unknown, RegExp][] = [
    ['10.0.0.5:8080', /not a URL|scheme/],
    ['ftp://10.0.0.5', /scheme "ftp"/],
    ['http://user:secret@10.0.0.5:8080', /user or password/],
    ['http://10.0.0.5:8080/koplus', /without a path/],
    ['http://10.0.0.5:8080/?x=1', /without a path, query/],
    ['http://0.0.0.0:8080', /wildcard/],
    ['http://[::]:8080', /wildcard/],
    [8080, /expected an http/],
  ]
  for (const [value, re] of cases) {
    const e = problem(() => fromFile(value))
    t.ok(e, `${JSON.stringify(value)} refused`)
    t.equal(e?.key, 'api.advertiseUrl')
    t.match(e?.message ?? '', re, `${JSON.stringify(value)}: ${e?.message}`)
    t.notMatch(e?.message ?? '', /secret/, 'a password is never quoted')
  }
  const env = problem(() => fromEnv('http://0.0.0.0:8080'))
  t.match(env?.message ?? '', /from KOPLUS_API_ADVERTISE_URL/, 'names the environment variable')
})

t.test('api.host accepts the wildcards 0.0.0.0 and ::', async (t) => {
  t.equal(loadConfig({ env: { KOPLUS_API_HOST: '::' }, cwd: dir }).api.host, '::')
  t.equal(loadConfig({ env: { KOPLUS_API_HOST: '0.0.0.0' }, cwd: dir }).api.host, '0.0.0.0')
  t.ok(
    problem(() => loadConfig({ env: { KOPLUS_FREESWITCH_HOST: '::' }, cwd: dir })),
    'not freeswitch.host',
  )
})

t.test('isWildcardHost', async (t) => {
  for (const h of ['0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0', '::0']) t.ok(isWildcardHost(h), h)
  for (const h of ['127.0.0.1', '::1', '10.0.0.5', 'localhost', 'koplus-a', 'fd00::5']) t.notOk(isWildcardHost(h), h)
})
