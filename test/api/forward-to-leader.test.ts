/**
 * Issue 12: a standby forwards changes to the leader's API (src/api/forward-to-leader.ts). Two API servers of the
 * test world stand for the two daemons (each with its own copy of the seeded database, so where a change landed is
 * visible); a bare HTTP server stands for a leader when the exact bytes forwarded matter.
 */
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { ANSWERED_BY_HEADER, FORWARDED_BY_HEADER } from '../../src/api/forward-to-leader.js'
import type { LeadershipView } from '../../src/api/engine-view.js'
import { call, PASSWORD, world, type World } from './fixture.js'

const leader = await world()
const standby = await world()
t.teardown(async () => {
  await leader.close()
  await standby.close()
})
let view: LeadershipView = { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: leader.url } }
standby.live.leadership = () => view
const admin = (w: World) => ({ token: w.tokens.adminA })

/** A stand-in leader that records what reached it and answers `answer` (or breaks the connection). */
async function fakeLeader(
  answer: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<{
  url: string
  seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[]
  close(): Promise<void>
}> {
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString()
      seen.push({ method: req.method, url: req.url, headers: req.headers, body })
      answer(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

t.test('a change on the standby is applied by the leader and its answer returned as it is', async (t) => {
  const created = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5200', name: 'Billing' },
  })
  t.equal(created.status, 201, "the leader's 201")
  t.equal(created.body.number, '5200')
  t.equal(created.headers.get(ANSWERED_BY_HEADER), 'a', 'marked as answered by the leader a')
  t.ok(
    (await leader.store.queues.list('ta')).some((q) => q.number === '5200'),
    "in the leader's store",
  )
  t.notOk(
    (await standby.store.queues.list('ta')).some((q) => q.number === '5200'),
    "not written by the standby (in a pair both read the leader's write from the shared store)",
  )
  t.equal(leader.live.reloads, 1, "the leader's engine reloaded its configuration")
  t.equal(standby.live.reloads, 0, "the standby's did not")
  const read = await call(standby.url, 'GET', '/api/v1/queues', admin(standby))
  t.equal(read.status, 200, 'a read on the standby')
  t.equal(read.headers.get(ANSWERED_BY_HEADER), null, 'is answered locally')
})

t.test('errors of the leader come back unchanged: 401, 404, validation', async (t) => {
  const unauth = await call(standby.url, 'POST', '/api/v1/queues', { token: 'nope', body: { number: '1', name: 'x' } })
  t.equal(unauth.status, 401, "the leader's 401 for a bad token")
  t.equal(unauth.headers.get(ANSWERED_BY_HEADER), 'a')
  const bad = await call(standby.url, 'POST', '/api/v1/queues', { ...admin(standby), body: { name: 'No number' } })
  t.equal(bad.status, 400)
  t.equal(bad.body.error.code, 'VALIDATION')
  const gone = await call(standby.url, 'DELETE', '/api/v1/queues/nosuch', admin(standby))
  t.equal(gone.status, 404)
})

t.test('a web session (cookie and CSRF token) is forwarded with the change', async (t) => {
  const login = await call(leader.url, 'POST', '/api/v1/auth/login', {
    body: { username: 'admin-a', password: PASSWORD },
  })
  t.equal(login.status, 200, 'logged in (on the leader: these two servers do not share a store)')
  const cookie = login.headers.get('set-cookie')!.split(';')[0]
  const res = await call(standby.url, 'POST', '/api/v1/queues', {
    headers: { cookie, 'x-csrf-token': login.body.csrfToken as string },
    body: { number: '5201', name: 'Web' },
  })
  t.equal(res.status, 201, 'accepted by the leader with the CSRF token')
  const noCsrf = await call(standby.url, 'POST', '/api/v1/queues', {
    headers: { cookie },
    body: { number: '5202', name: 'Web' },
  })
  t.equal(noCsrf.status, 403, "without the CSRF token: the leader's 403")
  t.equal(noCsrf.body.error.code, 'CSRF')
})

t.test('method, path, query, body and headers reach the leader; hop-by-hop headers do not', async (t) => {
  const fake = await fakeLeader((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'x=1; Path=/', 'x-extra': 'yes' })
    res.end('{"ok":true}')
  })
  t.teardown(() => fake.close())
  view = { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: fake.url } }
  // node:http, not fetch: fetch refuses to send a Keep-Alive header
  const res = await new Promise<{ status?: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request(`${standby.url}/api/v1/queues/qa?force=true&x=%C3%A5`, {
        method: 'PATCH',
        headers: {
          authorization: 'Bearer tok',
          cookie: 'koplus_session=s1',
          'x-csrf-token': 'c1',
          'content-type': 'application/json',
          connection: 'keep-alive',
          'keep-alive': 'timeout=5',
        },
      })
      req.on('error', reject)
      req.on('response', (r) => {
        let body = ''
        r.setEncoding('utf8')
        r.on('data', (c: string) => (body += c))
        r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body }))
      })
      req.end('{"name":"Renamed"}')
    },
  )
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body), { ok: true }, "the leader's body")
  t.same(res.headers['set-cookie'], ['x=1; Path=/'], "the leader's cookie")
  t.equal(res.headers['x-extra'], 'yes')
  t.equal(fake.seen.length, 1, 'one request reached the leader')
  const got = fake.seen[0]
  t.equal(got.method, 'PATCH')
  t.equal(got.url, '/api/v1/queues/qa?force=true&x=%C3%A5')
  t.equal(got.body, '{"name":"Renamed"}')
  t.equal(got.headers.authorization, 'Bearer tok')
  t.equal(got.headers.cookie, 'koplus_session=s1')
  t.equal(got.headers['x-csrf-token'], 'c1')
  t.equal(got.headers['content-type'], 'application/json')
  t.equal(got.headers[FORWARDED_BY_HEADER], 'b', 'marked as forwarded by b')
  t.equal(got.headers['keep-alive'], undefined, 'hop-by-hop header dropped')
  t.equal(got.headers.host, new URL(fake.url).host, "the leader's own host")
})

t.test('no forwarding loop: a forwarded change reaching a non-leader is answered 503 there', async (t) => {
  const fake = await fakeLeader((_req, res) => res.end('{}'))
  t.teardown(() => fake.close())
  view = { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: fake.url } }
  const res = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    headers: { [FORWARDED_BY_HEADER]: 'c' },
    body: { number: '5300', name: 'x' },
  })
  t.equal(res.status, 503)
  t.equal(res.body.error.code, 'NOT_LEADER')
  t.match(res.body.error.message, /does not forward a change forwarded by c; the leader is a/)
  t.equal(fake.seen.length, 0, 'not forwarded again')
  view = { role: 'standby', nodeId: 'b', leader: { nodeId: 'b', api: standby.url } }
  const self = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5301', name: 'x' },
  })
  t.equal(self.status, 503, 'a stale view naming this daemon itself: 503, not a request to itself')
})

t.test('no leader known, or unreachable: 503 NOT_LEADER naming it; nothing written', async (t) => {
  view = { role: 'standby', nodeId: 'b' }
  const unknown = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5400', name: 'x' },
  })
  t.equal(unknown.status, 503)
  t.match(unknown.body.error, { code: 'NOT_LEADER', message: /no leader is known yet/ })

  const closed = http.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))
  view = { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: `http://127.0.0.1:${port}` } }
  const refused = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5401', name: 'x' },
  })
  t.equal(refused.status, 503)
  t.match(refused.body.error, {
    code: 'NOT_LEADER',
    message: new RegExp(`leader a at http://127\\.0\\.0\\.1:${port} cannot be reached \\(ECONNREFUSED\\)`),
  })

  const breaks = await fakeLeader((req) => req.socket.destroy())
  t.teardown(() => breaks.close())
  view = { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: breaks.url } }
  const broke = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5402', name: 'x' },
  })
  t.equal(broke.status, 503)
  t.match(broke.body.error.message, /did not answer \(ECONNRESET\); the change may have been applied/)
  t.equal(breaks.seen.length, 1, 'it had reached the leader')
  t.notOk(
    (await standby.store.queues.list('ta')).some((q) => q.number.startsWith('54')),
    'the standby wrote none of them',
  )

  view = { role: 'fenced', nodeId: 'b' }
  const fenced = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5403', name: 'x' },
  })
  t.match(fenced.body.error.message, /this daemon \(b\) is fenced and stopping/)
})

t.test(
  'an https:// leader (api.advertiseUrl behind TLS) is spoken to over TLS; until it is up nothing is sent',
  async (t) => {
    // A TCP server standing for a TLS front that fails the handshake: it keeps the first bytes it receives and closes.
    const firstBytes: Buffer[] = []
    const tlsFront = net.createServer((socket) => {
      socket.once('data', (b: Buffer) => {
        firstBytes.push(b)
        socket.destroy()
      })
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => tlsFront.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise((resolve) => tlsFront.close(resolve)))
    const api = `https://127.0.0.1:${(tlsFront.address() as AddressInfo).port}`
    view = { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api } }
    const res = await call(standby.url, 'POST', '/api/v1/queues', {
      ...admin(standby),
      body: { number: '5600', name: 'x' },
    })
    t.equal(firstBytes.length, 1, 'the standby connected to the advertised https address')
    // RFC 8446 §5.1: a TLS record of type handshake (22) opens the connection, not "POST /api/…"
    t.equal(firstBytes[0]?.[0], 22, 'and opened it with a TLS handshake record')
    t.notMatch(firstBytes[0]?.toString('latin1') ?? '', /POST \/api/, 'no plain HTTP request')
    t.equal(res.status, 503, 'the TLS session never came up')
    t.match(res.body.error, {
      code: 'NOT_LEADER',
      message: new RegExp(`leader a at https://127\\.0\\.0\\.1:\\d+ cannot be reached .*try again`),
    })
  },
)

t.test('a caller that goes away mid-body: the leader is not left waiting for the rest', async (t) => {
  let reached!: () => void
  const arrived = new Promise<void>((r) => (reached = r))
  let closed!: (complete: boolean) => void
  const leaderSaw = new Promise<boolean>((r) => (closed = r))
  const server = http.createServer((req) => {
    reached()
    req.resume()
    req.on('close', () => closed(req.complete))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  view = {
    role: 'standby',
    nodeId: 'b',
    leader: { nodeId: 'a', api: `http://127.0.0.1:${(server.address() as AddressInfo).port}` },
  }
  const { port } = new URL(standby.url)
  const client = net.connect(Number(port), '127.0.0.1')
  client.on('error', () => undefined)
  client.write(
    'POST /api/v1/queues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"num',
  )
  await arrived
  client.destroy()
  t.equal(await leaderSaw, false, "the leader's request ends incomplete at once (no 30 s wait for the body)")
})

t.test('a leader (or a single daemon) serves changes itself', async (t) => {
  view = { role: 'leader', nodeId: 'b', leader: { nodeId: 'b', api: standby.url } }
  const res = await call(standby.url, 'POST', '/api/v1/queues', {
    ...admin(standby),
    body: { number: '5500', name: 'Own' },
  })
  t.equal(res.status, 201)
  t.equal(res.headers.get(ANSWERED_BY_HEADER), null)
  t.ok((await standby.store.queues.list('ta')).some((q) => q.number === '5500'))
})
