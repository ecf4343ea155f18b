/**
 * Issue 9 (hardening), abuse of the HTTP API: login throttling per client address and per username+address
 * (back-off, no account lock-out), the client's address behind a trusted proxy, a cap on concurrent hashing, and
 * password hashing off the event loop.
 */
import t from 'tap'
import { request } from 'node:http'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientAddress, clientKey, HashGate, LoginRateLimiter } from '../../src/api/auth.js'
import { startApiServer } from '../../src/api/server.js'
import { call, PASSWORD, world } from './fixture.js'

t.test('LoginRateLimiter: per client address, whatever the username', async (t) => {
  const l = new LoginRateLimiter({ perClientMax: 3, windowMs: 60_000 })
  const now = 1_000_000
  t.same(
    [0, 1, 2].map((i) => l.attempt(`user${i}`, '10.0.0.1', now)),
    [0, 0, 0],
  )
  t.equal(
    l.attempt('user4', '10.0.0.1', now + 10),
    59_990,
    'the 4th username from the same address waits for the window',
  )
  t.equal(l.attempt('user4', '10.0.0.2', now + 10), 0, 'another address is not affected')
  t.equal(l.attempt('user5', '10.0.0.1', now + 60_000), 0, 'a new window')
})

t.test(
  'LoginRateLimiter: back-off per username and address after 5 wrong passwords, no lock of the account',
  async (t) => {
    const l = new LoginRateLimiter()
    let now = 5_000_000
    for (let i = 0; i < 5; i++) {
      t.equal(l.attempt('Anna', '10.0.0.1', now), 0)
      l.failed('anna', '10.0.0.1', now)
    }
    t.equal(l.attempt('anna', '10.0.0.1', now), 1000, 'after 5 failures: 1 s')
    t.equal(l.attempt('anna', '10.0.0.2', now), 0, 'the same account from another address is not locked')
    now += 1000
    t.equal(l.attempt('anna', '10.0.0.1', now), 0)
    l.failed('anna', '10.0.0.1', now)
    t.equal(l.attempt('anna', '10.0.0.1', now), 2000, 'doubles: 2 s')
    t.equal(l.backoffMs(30), 15 * 60_000, 'capped at 15 min')
    now += 2000
    t.equal(l.attempt('anna', '10.0.0.1', now), 0)
    l.succeeded('anna', '10.0.0.1')
    t.equal(l.attempt('anna', '10.0.0.1', now), 0, 'a success clears the back-off')
  },
)

t.test('LoginRateLimiter: memory stays bounded under a flood of addresses', async (t) => {
  const l = new LoginRateLimiter({ maxEntries: 100 })
  for (let i = 0; i < 1000; i++) {
    l.attempt(`u${i}`, `10.0.${i >> 8}.${i & 255}`, 1000)
    l.failed(`u${i}`, `10.0.${i >> 8}.${i & 255}`, 1000)
  }
  // the newest entries are kept: the last address is still counted
  for (let i = 0; i < 4; i++) {
    l.attempt('u999', '10.0.3.231', 1000)
    l.failed('u999', '10.0.3.231', 1000)
  }
  t.ok(l.attempt('u999', '10.0.3.231', 1000) > 0, 'recent failures are remembered')
})

t.test('clientKey: IPv4 as is, IPv6 per /64', async (t) => {
  t.equal(clientKey('192.0.2.7'), '192.0.2.7')
  t.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7')
  t.equal(clientKey('2001:db8:0:1::5'), '2001:db8:0:1::/64')
  t.equal(clientKey('2001:db8:0:1:ffff:1:2:3'), '2001:db8:0:1::/64', 'one host owns the whole /64')
  t.equal(clientKey('::1'), '0:0:0:0::/64')
})

t.test('clientAddress: the proxy header only from a trusted proxy', async (t) => {
  const trusted = ['127.0.0.1', '::1']
  t.equal(
    clientAddress('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, 'none', trusted),
    '127.0.0.1',
    'no header configured: the peer',
  )
  t.equal(clientAddress('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, 'x-forwarded-for', trusted), '203.0.113.9')
  t.equal(
    clientAddress('::ffff:127.0.0.1', { 'x-forwarded-for': '1.2.3.4, 203.0.113.9' }, 'x-forwarded-for', trusted),
    '203.0.113.9',
    "the right-most entry: the left ones are the client's own",
  )
  t.equal(
    clientAddress('198.51.100.1', { 'x-forwarded-for': '203.0.113.9' }, 'x-forwarded-for', trusted),
    '198.51.100.1',
    'an untrusted peer cannot choose its address',
  )
  t.equal(clientAddress('127.0.0.1', { 'x-real-ip': '203.0.113.10' }, 'x-real-ip', trusted), '203.0.113.10')
  t.equal(clientAddress('127.0.0.1', {}, 'x-real-ip', trusted), '127.0.0.1', 'header missing: the peer')
})

t.test('HashGate: at most `concurrency` at once, a bounded queue, refusal beyond', async (t) => {
  const gate = new HashGate(1, 1)
  const releases: (() => void)[] = []
  const job = (v: number) => () => new Promise<number>((resolve) => releases.push(() => resolve(v)))
  const a = gate.run(job(1))
  const b = gate.run(job(2))
  t.equal(await gate.run(job(3)), undefined, 'queue full: refused at once')
  await new Promise((r) => setImmediate(r))
  t.equal(releases.length, 1, 'only one runs')
  t.equal(gate.queued, 1)
  releases.shift()!()
  t.equal(await a, 1)
  await new Promise((r) => setImmediate(r))
  t.equal(releases.length, 1, 'the waiting one runs next')
  releases.shift()!()
  t.equal(await b, 2)
  t.equal(gate.running, 0)
})

t.test('authenticateAsync hashes off the event loop', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  let turned = false
  setImmediate(() => {
    turned = true
  })
  const acc = await w.store.accounts.authenticateAsync('admin-a', PASSWORD)
  t.equal(acc?.username, 'admin-a')
  t.ok(turned, 'the event loop turned while the password was hashed')
  t.equal(await w.store.accounts.authenticateAsync('admin-a', 'wrong password'), undefined)
  t.equal(await w.store.accounts.authenticateAsync('nobody', PASSWORD), undefined)
})

t.test('login behind a TLS proxy: an attacker cannot lock another client out of an account', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const api = await startApiServer({
    store: w.store,
    live: w.live,
    now: () => w.now.t,
    promptDir: w.promptDir,
    clientAddressHeader: 'x-forwarded-for',
  })
  t.teardown(() => api.close())
  const from = (ip: string) => ({ 'x-forwarded-for': ip })
  const statuses: number[] = []
  for (let i = 0; i < 7; i++)
    statuses.push(
      (
        await call(api.url, 'POST', '/api/v1/auth/login', {
          headers: from('203.0.113.66'),
          body: { username: 'admin-a', password: 'wrong password' },
        })
      ).status,
    )
  t.same(statuses, [401, 401, 401, 401, 401, 429, 429], 'the attacker backs off')
  const user = await call(api.url, 'POST', '/api/v1/auth/login', {
    headers: from('198.51.100.20'),
    body: { username: 'admin-a', password: PASSWORD },
  })
  t.equal(user.status, 200, 'the real user, from their own address, logs in')
  t.notMatch(user.headers.get('set-cookie')!, /Secure/, 'the proxy did not say https')
  const tls = await call(api.url, 'POST', '/api/v1/auth/login', {
    headers: { ...from('198.51.100.21'), 'x-forwarded-proto': 'https' },
    body: { username: 'admin-a', password: PASSWORD },
  })
  t.match(
    tls.headers.get('set-cookie')!,
    /; Secure$/,
    'behind a TLS proxy (X-Forwarded-Proto: https) the cookie is Secure',
  )

  // without the header setting the proxy's address is all there is: the same attack blocks everybody behind it
  const plain = await startApiServer({ store: w.store, live: w.live, now: () => w.now.t, promptDir: w.promptDir })
  t.teardown(() => plain.close())
  for (let i = 0; i < 6; i++)
    await call(plain.url, 'POST', '/api/v1/auth/login', {
      headers: from('203.0.113.66'),
      body: { username: 'admin-b', password: 'wrong password' },
    })
  t.equal(
    (
      await call(plain.url, 'POST', '/api/v1/auth/login', {
        headers: from('198.51.100.20'),
        body: { username: 'admin-b', password: PASSWORD },
      })
    ).status,
    429,
    'X-Forwarded-For is not believed unless configured',
  )
  w.now.t += 61_000
  const plainTls = await call(plain.url, 'POST', '/api/v1/auth/login', {
    headers: { 'x-forwarded-proto': 'https' },
    body: { username: 'admin-b', password: PASSWORD },
  })
  t.equal(plainTls.status, 200)
  t.notMatch(plainTls.headers.get('set-cookie')!, /Secure/, 'nor X-Forwarded-Proto')
})

t.test('login: a flood of usernames from one address is refused before any hashing', async (t) => {
  const w = await world({ limiter: new LoginRateLimiter({ perClientMax: 10 }) })
  t.teardown(() => w.close())
  const statuses: number[] = []
  for (let i = 0; i < 12; i++)
    statuses.push(
      (await call(w.url, 'POST', '/api/v1/auth/login', { body: { username: `nobody${i}`, password: 'x' } })).status,
    )
  t.same(statuses, [...Array(10).fill(401), 429, 429])
  const limited = await call(w.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin-a', password: PASSWORD } })
  t.equal(limited.body.error.code, 'RATE_LIMITED')
  t.ok(Number(limited.headers.get('retry-after')) > 0)
})

t.test('login: over the hashing cap the answer is 429 at once', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const gate = new HashGate(1, 0)
  const api = await startApiServer({
    store: w.store,
    live: w.live,
    now: () => w.now.t,
    promptDir: w.promptDir,
    hashGate: gate,
  })
  t.teardown(() => api.close())
  // hold the only slot
  let release!: () => void
  const held = gate.run(() => new Promise<void>((r) => (release = r)))
  const r = await call(api.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin-a', password: PASSWORD } })
  t.equal(r.status, 429)
  t.match(r.body.error.message, /too many logins in progress/)
  t.equal(r.headers.get('retry-after'), '1')
  release()
  await held
  t.equal(
    (await call(api.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin-a', password: PASSWORD } })).status,
    200,
    'a free slot: logged in',
  )
})

/** Read a whole event stream until the server ends it; returns the event names seen. */
async function readStream(
  url: string,
  headers: Record<string, string>,
  onFirst: () => Promise<void>,
): Promise<string[]> {
  const res = await fetch(`${url}/api/v1/events`, { headers })
  if (res.status !== 200) throw new Error(`status ${res.status}`)
  const reader = res.body!.getReader()
  const events: string[] = []
  let buf = ''
  let first = true
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return events
    buf += Buffer.from(value).toString()
    let i: number
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i)
      buf = buf.slice(i + 2)
      const name = /^event: (.*)$/m.exec(block)?.[1]
      if (name) events.push(name)
      if (first && name === 'status') {
        first = false
        await onFirst()
      }
    }
  }
}

t.test('SSE: a stream ends when its API token is revoked', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const tok = await call(w.url, 'POST', '/api/v1/tokens', { token: w.tokens.adminA, body: { name: 'wallboard' } })
  const events = await readStream(w.url, { authorization: `Bearer ${tok.body.token}` }, async () => {
    t.equal((await call(w.url, 'DELETE', `/api/v1/tokens/${tok.body.id}`, { token: w.tokens.adminA })).status, 204)
  })
  t.same(events, ['status', 'revoked'], 'a last revoked event, then the end')
  t.equal(w.live.changes.size, 0, 'unsubscribed from the engine')
})

t.test('SSE: a session stream ends when the account is removed, or the session logged out', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const created = await call(w.url, 'POST', '/api/v1/accounts', {
    token: w.tokens.adminA,
    body: { username: 'wall-a', password: 'a long password', role: 'tenant-admin' },
  })
  t.equal(created.status, 201)
  const login = await call(w.url, 'POST', '/api/v1/auth/login', {
    body: { username: 'wall-a', password: 'a long password' },
  })
  const cookie = login.headers.get('set-cookie')!.split(';')[0]
  const removed = await readStream(w.url, { cookie }, async () => {
    t.equal(
      (await call(w.url, 'DELETE', `/api/v1/accounts/${created.body.id}`, { token: w.tokens.adminA })).status,
      204,
    )
  })
  t.same(removed, ['status', 'revoked'], 'account removed: stream ended')

  const login2 = await call(w.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin-b', password: PASSWORD } })
  const cookie2 = login2.headers.get('set-cookie')!.split(';')[0]
  const loggedOut = await readStream(w.url, { cookie: cookie2 }, async () => {
    t.equal(
      (
        await call(w.url, 'POST', '/api/v1/auth/logout', {
          headers: { cookie: cookie2, 'x-csrf-token': login2.body.csrfToken },
        })
      ).status,
      204,
    )
  })
  t.same(loggedOut, ['status', 'revoked'], 'logged out: stream ended')
})

t.test('SSE: a revocation made outside the API (the CLI) ends the stream at the next re-check', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const api = await startApiServer({
    store: w.store,
    live: w.live,
    now: () => w.now.t,
    promptDir: w.promptDir,
    streamRecheckMs: 20,
  })
  t.teardown(() => api.close())
  const acc = (await w.store.accounts.getByUsername('agent-a'))!
  const { id, token } = await w.store.accounts.createToken(acc.id, 'kiosk')
  const events = await readStream(api.url, { authorization: `Bearer ${token}` }, async () => {
    await w.store.accounts.revokeToken(id)
  })
  t.same(events, ['status', 'revoked'])
  // an expiring token: the stream ends when it expires
  const exp = await w.store.accounts.createToken(acc.id, 'short', w.now.t + 60_000)
  const expired = await readStream(api.url, { authorization: `Bearer ${exp.token}` }, async () => {
    w.now.t += 61_000
  })
  t.same(expired, ['status', 'revoked'], 'expired token: stream ended')
})

/** POST a body with node:http, chunked (no Content-Length) when `chunked`, and read the answer. */
function post(
  url: string,
  path: string,
  token: string,
  contentType: string,
  body: Buffer,
  chunked: boolean,
): Promise<{ status: number; headers: Record<string, unknown>; json: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url + path,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': contentType,
          ...(chunked ? {} : { 'content-length': body.length }),
        },
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(parts).toString() || 'null'),
          }),
        )
      },
    )
    req.on('error', reject)
    if (!chunked) {
      req.end(body)
      return
    }
    // 64 KB at a time, as a client streaming a file would; stop writing when the server has answered
    let off = 0
    const more = (): void => {
      while (off < body.length && !req.destroyed) {
        const ok = req.write(body.subarray(off, off + 65536))
        off += 65536
        if (!ok) return void req.once('drain', more)
      }
      if (!req.destroyed) req.end()
    }
    more()
  })
}

t.test('oversized bodies: 413 with the JSON error, not a cut connection', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const before = (await w.store.tenants.list()).length
  const big = Buffer.from(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), domain: 'big.example' }))
  for (const chunked of [false, true]) {
    const r = await post(w.url, '/api/v1/tenants', w.tokens.operator, 'application/json', big, chunked)
    t.equal(r.status, 413, chunked ? 'streamed without a length' : 'declared length over the limit')
    t.same(r.json, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body larger than 1048576 bytes' } })
    t.equal(r.headers.connection, 'close')
  }
  t.equal((await w.store.tenants.list()).length, before, 'nothing created')
  t.equal(
    (await call(w.url, 'GET', '/api/v1/tenants', { token: w.tokens.operator })).status,
    200,
    'the server carries on',
  )
})

t.test('uploads are streamed to a temporary file under a size cap', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-sox-spy-'))
  const spy = join(dir, 'sox')
  const seen = join(dir, 'seen.json')
  // a stand-in sox that notes what it was given (a file on disk and its size) and copies it to the output
  writeFileSync(
    spy,
    `#!${process.execPath}
const { copyFileSync, statSync, writeFileSync } = require('node:fs')
const a = process.argv.slice(2)
const input = a[a[0] === '-t' ? 2 : 0]
writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ input, size: statSync(input).size }))
copyFileSync(input, a[a.indexOf('signed-integer') + 1])
`,
  )
  chmodSync(spy, 0o755)
  const w = await world({ soxPath: spy })
  t.teardown(() => w.close())
  const api = await startApiServer({
    store: w.store,
    live: w.live,
    now: () => w.now.t,
    promptDir: w.promptDir,
    soxPath: spy,
    maxUploadBytes: 1024 * 1024,
  })
  t.teardown(() => api.close())
  const uploads = (): string[] => readdirSync(w.promptDir).filter((f) => f.startsWith('.upload-'))

  const audio = Buffer.alloc(300 * 1024, 7)
  const ok = await post(
    api.url,
    '/api/v1/prompts/upload?language=sv&name=closed',
    w.tokens.adminA,
    'audio/wav',
    audio,
    true,
  )
  t.equal(ok.status, 201)
  const s = JSON.parse(readFileSync(seen, 'utf8')) as { input: string; size: number }
  t.equal(s.size, audio.length, 'sox read the whole upload from a file')
  t.ok(s.input.startsWith(join(w.promptDir, '.upload-')), 'in the prompt directory')
  t.same(uploads(), [], 'the temporary file is removed afterwards')

  for (const chunked of [false, true]) {
    const r = await post(
      api.url,
      '/api/v1/prompts/upload?language=sv&name=welcome',
      w.tokens.adminA,
      'audio/wav',
      Buffer.alloc(3 * 1024 * 1024, 1),
      chunked,
    )
    t.equal(r.status, 413)
    t.equal(r.json.error?.code, 'PAYLOAD_TOO_LARGE')
    t.same(uploads(), [], 'nothing is left of the refused upload')
  }
  t.equal((await w.store.prompts.list()).filter((p) => p.name === 'welcome').length, 0, 'no prompt replaced')
})
