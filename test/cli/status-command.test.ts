/**
 * `koplus status`: its exit status (docs/cli.md): 0 all well, 1 refused, 2 daemon unreachable, 3 no FreeSWITCH, 4
 * the store degraded (writes queued in memory) — so scripts and monitoring checks see a degraded store without
 * parsing the `Store:` line; and its `Leader:` line (who leads, at which advertised API). The CLI runs in-process (main) against a stand-in API answering GET /api/v1/status with the
 * shapes the daemon sends (src/api/plugins/common.ts, `store` from the write queue's health).
 */
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { main } from '../../src/cli/main.js'

type Body = Record<string, unknown>
let status: Body = {}
let statusCode = 200
const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  const body =
    path === '/api/v1/status'
      ? status
      : path === '/api/v1/queues' || path === '/api/v1/agents'
        ? { items: [] }
        : { error: { code: 'NOT_FOUND', message: path } }
  res.writeHead(path === '/api/v1/status' ? statusCode : 200, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))

async function koplus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(
    ['node', 'koplus', '--api', api, '--token', 'tok', ...args],
    { out: (s) => out.push(s), err: (s) => err.push(s) },
    { TZ: 'UTC' },
  )
  process.exitCode = 0 // main sets it for bin/koplus.js; this test process must not inherit it
  return { code, stdout: out.join('\n'), stderr: err.join('\n') }
}

const connected = { connected: true, address: '127.0.0.1:8021' }
const okStore = { backend: 'postgres', writes: { state: 'ok', queued: 0, degradedSince: null, lastError: null } }
const degraded = {
  backend: 'postgres',
  writes: { state: 'degraded', queued: 17, degradedSince: 1_790_000_000_000, lastError: 'Connection terminated' },
}
const base = { queues: [], agents: [] }

t.test('0: FreeSWITCH connected and the store ok', async (t) => {
  status = { ...base, freeswitch: connected, store: okStore }
  const r = await koplus('status')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^Store: postgres, ok$/m)
  t.equal(r.stderr, '')
})

t.test('4: the store degraded — the status printed all the same, and why on stderr', async (t) => {
  status = { ...base, freeswitch: connected, store: degraded }
  const r = await koplus('status')
  t.equal(r.code, 4)
  t.match(r.stdout, /^Store: postgres DEGRADED since .* — 17 write\(s\) queued in memory: Connection terminated/m)
  t.match(r.stdout, /QUEUE\s+NAME/, 'the tables are printed')
  t.match(
    r.stderr,
    /^error: the daemon's store \(postgres\) is degraded: 17 write\(s\) wait in memory \(Connection terminated\); calls go on/m,
  )
  const j = await koplus('status', '--json')
  t.equal(j.code, 4, '--json too')
  t.same((JSON.parse(j.stdout) as { store: unknown }).store, degraded, 'with the JSON printed')
})

t.test('4: the write queue overflowing (past its memory bound) is degraded too', async (t) => {
  status = { ...base, freeswitch: connected, store: { backend: 'sqlite', writes: { state: 'overflow', queued: 9 } } }
  const r = await koplus('status')
  t.equal(r.code, 4)
  t.match(r.stderr, /store \(sqlite\) is overflow: 9 write\(s\) wait in memory/)
})

t.test('3 wins over 4: no FreeSWITCH is worse than a slow store', async (t) => {
  status = { ...base, freeswitch: { connected: false, address: '10.0.0.9:8021' }, store: degraded }
  const r = await koplus('status')
  t.equal(r.code, 3)
  t.match(r.stderr, /not connected to FreeSWITCH at 10\.0\.0\.9:8021/)
})

t.test('a daemon that does not report its store: 0 (nothing known to be wrong)', async (t) => {
  status = { ...base, freeswitch: connected }
  t.equal((await koplus('status')).code, 0)
})

t.test('1 when the daemon refuses (a bad token); 2 when it cannot be reached', async (t) => {
  statusCode = 401
  status = { error: { code: 'UNAUTHORIZED', message: 'invalid token' } }
  t.teardown(() => (statusCode = 200))
  t.equal((await koplus('status')).code, 1)
  statusCode = 200
  const closed = http.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))
  const out: string[] = []
  const code = await main(
    ['node', 'koplus', '--api', `http://127.0.0.1:${port}`, '--token', 'tok', 'status'],
    { out: (s) => out.push(s), err: (s) => out.push(s) },
    {},
  )
  process.exitCode = 0
  t.equal(code, 2)
})

t.test('`koplus status --help` lists the exit statuses', async (t) => {
  const r = await koplus('status', '--help')
  t.equal(r.code, 0)
  t.match(
    r.stdout,
    /Exit status[^]*0 +all well[^]*2 +the daemon cannot be reached[^]*3 +the daemon is not connected to FreeSWITCH[^]*4 +the store is degraded/,
  )
})

t.test('the Leader line: who leads and the API it advertises, on the leader and on a standby', async (t) => {
  const cases: [Body, string][] = [
    [
      { role: 'leader', nodeId: 'a', leader: { nodeId: 'a', api: 'http://10.0.0.5:8080' } },
      'Leader: this daemon (a) at http://10.0.0.5:8080',
    ],
    [
      { role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: 'http://10.0.0.5:8080' } },
      'Leader: a at http://10.0.0.5:8080 — this daemon (b) is standby',
    ],
    [
      { role: 'standby', nodeId: 'b', leader: { nodeId: 'a' } },
      'Leader: a, its API not advertised — this daemon (b) is standby',
    ],
    [{ role: 'standby', nodeId: 'b' }, 'Leader: none known — this daemon (b) is standby'],
  ]
  for (const [leadership, line] of cases) {
    status = { ...base, freeswitch: connected, store: okStore, leadership }
    const r = await koplus('status')
    t.equal(r.code, 0)
    t.equal(
      r.stdout.split('\n').find((l) => l.startsWith('Leader:')),
      line,
    )
  }
  status = { ...base, freeswitch: connected, store: okStore }
  t.notMatch((await koplus('status')).stdout, /^Leader:/m, 'a single daemon: no Leader line')
})
