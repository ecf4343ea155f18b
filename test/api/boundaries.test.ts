/**
 * Tenant boundaries, for every route of the route table: anonymous → 401; the other tenant's admin and agent → 403
 * or 404; the least-privileged account that should be allowed → allowed; for admin-only routes an agent of the same
 * tenant → 403; for self routes another agent of the same tenant → 403. A route the Fastify server serves (its onRoute
 * list, not a copy of the table) that is missing from CASES fails the suite.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildRoutes } from '../../src/api/plugins/index.js'
import { call, tinyWav, world as realWorld, type World } from './fixture.js'

/**
 * This test is about who may call a route, not about audio conversion (surfaces.test.ts covers sox): the upload
 * route runs a stand-in 'sox' that copies its input to its output, so the result does not depend on whether the
 * host has sox installed.
 */
const standInDir = mkdtempSync(join(tmpdir(), 'koplus-fake-sox-'))
const fakeSox = join(standInDir, 'sox')
writeFileSync(
  fakeSox,
  `#!${process.execPath}
const { copyFileSync } = require('node:fs')
const a = process.argv.slice(2)
copyFileSync(a[a[0] === '-t' ? 2 : 0], a[a.indexOf('signed-integer') + 1])
`,
)
chmodSync(fakeSox, 0o755)
t.teardown(() => rmSync(standInDir, { recursive: true, force: true }))
const world = (): Promise<World> => realWorld({ soxPath: fakeSox })

type Actor = 'operator' | 'adminA' | 'adminB' | 'agentA' | 'agentA2' | 'agentB'
interface Case {
  method: string
  /** The path (the ids of entities in the store are read from it). */
  path: (w: World) => string | Promise<string>
  body?: unknown
  raw?: { data: Buffer; contentType: string }
  /** The least-privileged account that may call it (default adminA). */
  allowed?: Actor
  /** Expected status for the allowed call (default 2xx). */
  okStatus?: number
  /** Route with access 'any': instead of 403/404, other tenants get an answer without tenant A's data. */
  filtered?: boolean
}

/** Extra tenant-A entities the cases refer to. */
async function seed(w: World): Promise<void> {
  const s = w.store
  await s.tenants.create({ id: 'tempty', name: 'Empty', domain: 'empty.example' })
  await s.queues.update('qa', {
    schedule: {
      timeZone: 'Europe/Stockholm',
      calendarIds: [],
      rules: [
        { id: 'r1', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '08:00', durationMinutes: 540 },
      ],
    },
  })
  await s.holidayCalendars.create({ id: 'hca', tenantId: 'ta', name: 'A holidays', customDates: [] })
  await s.closures.create({
    id: 'cla',
    tenantId: 'ta',
    scope: { kind: 'queues', queueIds: ['qa2'] },
    reason: 'meeting',
    by: 'test',
  })
  await s.agents.update('aa', { skills: { sv: 5 } })
  await s.callbacks.record({
    callId: 'cba',
    tenantId: 'ta',
    queueId: 'qa',
    number: '0701234567',
    callerNumber: '0701234567',
    requestedAt: 1,
    joinedAt: 1,
    seq: 1,
    state: 'waiting',
    attempts: 0,
    nextAttemptAt: 1,
  })
  await s.prompts.put({
    tenantId: 'ta',
    queueId: 'qa',
    language: 'sv',
    name: 'welcome',
    path: `${w.promptDir}/seed.wav`,
  })
  const adminA = (await s.accounts.getByUsername('admin-a'))!
  await s.accounts.createToken(adminA.id, 'second')
}
const promptId = async (w: World): Promise<string> => (await w.store.prompts.list('ta'))[0].id
const accountId = async (w: World, username: string): Promise<string> =>
  (await w.store.accounts.getByUsername(username))!.id
const tokenId = async (w: World): Promise<string> =>
  (await w.store.accounts.listTokens(await accountId(w, 'admin-a'))).find((x) => x.name === 'second')!.id

const CASES: Record<string, Case> = {
  'auth.logout': { method: 'POST', path: () => '/api/v1/auth/logout', filtered: true, allowed: 'agentA' },
  'auth.me': { method: 'GET', path: () => '/api/v1/auth/me', filtered: true, allowed: 'agentA' },
  'tenants.list': { method: 'GET', path: () => '/api/v1/tenants', filtered: true },
  'tenants.create': {
    method: 'POST',
    path: () => '/api/v1/tenants',
    body: { name: 'New', domain: 'new.example' },
    allowed: 'operator',
  },
  'tenants.get': { method: 'GET', path: () => '/api/v1/tenants/ta' },
  'tenants.update': {
    method: 'PATCH',
    path: () => '/api/v1/tenants/ta',
    body: { name: 'Renamed' },
    allowed: 'operator',
  },
  'tenants.remove': { method: 'DELETE', path: () => '/api/v1/tenants/tempty', allowed: 'operator' },
  'queues.list': { method: 'GET', path: () => '/api/v1/queues', filtered: true, allowed: 'agentA' },
  'queues.create': {
    method: 'POST',
    path: () => '/api/v1/queues',
    body: { tenantId: 'ta', number: '5100', name: 'New' },
  },
  'queues.get': { method: 'GET', path: () => '/api/v1/queues/qa', allowed: 'agentA' },
  'queues.update': { method: 'PATCH', path: () => '/api/v1/queues/qa', body: { settings: { ringTimeSec: 30 } } },
  'queues.remove': { method: 'DELETE', path: () => '/api/v1/queues/qa2' },
  'schedule.get': { method: 'GET', path: () => '/api/v1/queues/qa/schedule', allowed: 'agentA' },
  'schedule.set': { method: 'PUT', path: () => '/api/v1/queues/qa/schedule', body: { schedule: null } },
  'schedule.addRule': {
    method: 'POST',
    path: () => '/api/v1/queues/qa/schedule/rules',
    body: { kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=SA', start: '10:00', durationMinutes: 120 },
  },
  'schedule.removeRule': { method: 'DELETE', path: () => '/api/v1/queues/qa/schedule/rules/r1' },
  'schedule.explain': { method: 'GET', path: () => '/api/v1/queues/qa/schedule/explain', allowed: 'agentA' },
  'schedule.next': { method: 'GET', path: () => '/api/v1/queues/qa/schedule/next?days=7', allowed: 'agentA' },
  'calendars.list': { method: 'GET', path: () => '/api/v1/calendars', filtered: true },
  'calendars.get': { method: 'GET', path: () => '/api/v1/calendars/hca', allowed: 'agentA' },
  'calendars.create': {
    method: 'POST',
    path: () => '/api/v1/calendars',
    body: { tenantId: 'ta', name: 'Extra', customDates: [] },
  },
  'calendars.update': { method: 'PATCH', path: () => '/api/v1/calendars/hca', body: { name: 'Renamed' } },
  'calendars.remove': { method: 'DELETE', path: () => '/api/v1/calendars/hca' },
  'closures.list': { method: 'GET', path: () => '/api/v1/closures', filtered: true, allowed: 'agentA' },
  'closures.create': {
    method: 'POST',
    path: () => '/api/v1/closures',
    body: { tenantId: 'ta', tag: 'support', reason: 'storm' },
  },
  'closures.get': { method: 'GET', path: () => '/api/v1/closures/cla' },
  'closures.reopen': { method: 'POST', path: () => '/api/v1/closures/cla/reopen' },
  'queues.close': { method: 'POST', path: () => '/api/v1/queues/qa/close', body: { reason: 'lunch' } },
  'queues.reopen': { method: 'POST', path: () => '/api/v1/queues/qa2/reopen' },
  'agents.list': { method: 'GET', path: () => '/api/v1/agents', filtered: true, allowed: 'agentA' },
  'agents.create': {
    method: 'POST',
    path: () => '/api/v1/agents',
    body: { tenantId: 'ta', extension: '1099', name: 'New', plan: 'pro' },
  },
  'agents.get': { method: 'GET', path: () => '/api/v1/agents/aa', allowed: 'agentA' },
  'agents.update': { method: 'PATCH', path: () => '/api/v1/agents/aa', body: { name: 'Anna B' } },
  'agents.remove': { method: 'DELETE', path: () => '/api/v1/agents/aa2' },
  'agents.setSkill': { method: 'PUT', path: () => '/api/v1/agents/aa/skills/en', body: { level: 3 } },
  'agents.removeSkill': { method: 'DELETE', path: () => '/api/v1/agents/aa/skills/sv' },
  'agents.login': { method: 'POST', path: () => '/api/v1/agents/aa/login', body: {}, allowed: 'agentA' },
  'agents.logout': { method: 'POST', path: () => '/api/v1/agents/aa/logout', body: {}, allowed: 'agentA' },
  'agents.pause': {
    method: 'POST',
    path: () => '/api/v1/agents/aa/pause',
    body: { reason: 'lunch' },
    allowed: 'agentA',
  },
  'agents.unpause': { method: 'POST', path: () => '/api/v1/agents/aa/unpause', allowed: 'agentA' },
  'agents.device': { method: 'POST', path: () => '/api/v1/agents/aa/device', body: { index: 1 }, allowed: 'agentA' },
  'agents.endWrapUp': { method: 'POST', path: () => '/api/v1/agents/aa/end-wrapup', allowed: 'agentA' },
  'memberships.list': { method: 'GET', path: () => '/api/v1/memberships', filtered: true, allowed: 'agentA' },
  'memberships.add': { method: 'POST', path: () => '/api/v1/memberships', body: { agentId: 'aa', queueId: 'qa2' } },
  'memberships.remove': { method: 'DELETE', path: () => '/api/v1/memberships/aa/qa' },
  'prompts.list': { method: 'GET', path: () => '/api/v1/prompts', filtered: true },
  'prompts.upload': {
    method: 'POST',
    path: () => '/api/v1/prompts/upload?tenant=ta&queue=qa&language=sv&name=closed',
    raw: { data: tinyWav(), contentType: 'audio/wav' },
  },
  'prompts.audio': { method: 'GET', path: async (w) => `/api/v1/prompts/${await promptId(w)}/audio` },
  'prompts.remove': { method: 'DELETE', path: async (w) => `/api/v1/prompts/${await promptId(w)}` },
  'accounts.list': { method: 'GET', path: () => '/api/v1/accounts', filtered: true, allowed: 'agentA' },
  'accounts.create': {
    method: 'POST',
    path: () => '/api/v1/accounts',
    body: { username: 'new-admin', password: 'a long password', role: 'tenant-admin', tenantId: 'ta' },
    filtered: true,
  },
  'accounts.get': {
    method: 'GET',
    path: async (w) => `/api/v1/accounts/${await accountId(w, 'agent-a')}`,
    allowed: 'agentA',
  },
  'accounts.update': {
    method: 'PATCH',
    path: async (w) => `/api/v1/accounts/${await accountId(w, 'agent-a')}`,
    body: { password: 'another long one' },
    allowed: 'agentA',
  },
  'accounts.remove': { method: 'DELETE', path: async (w) => `/api/v1/accounts/${await accountId(w, 'agent-a2')}` },
  'tokens.list': { method: 'GET', path: () => '/api/v1/tokens', filtered: true, allowed: 'agentA' },
  'tokens.create': {
    method: 'POST',
    path: () => '/api/v1/tokens',
    body: { name: 'mine' },
    filtered: true,
    allowed: 'agentA',
  },
  'tokens.remove': { method: 'DELETE', path: async (w) => `/api/v1/tokens/${await tokenId(w)}` },
  'status.get': { method: 'GET', path: () => '/api/v1/status', filtered: true, allowed: 'agentA' },
  'events.stream': { method: 'GET', path: () => '/api/v1/events', filtered: true, allowed: 'agentA' },
  'calls.list': { method: 'GET', path: () => '/api/v1/calls', filtered: true, allowed: 'agentA' },
  'stats.queues': { method: 'GET', path: () => '/api/v1/stats/queues', filtered: true },
  'stats.agents': { method: 'GET', path: () => '/api/v1/stats/agents', filtered: true, allowed: 'agentA' },
  'stats.ewt': { method: 'GET', path: () => '/api/v1/queues/qa/stats/ewt' },
  'callbacks.list': { method: 'GET', path: () => '/api/v1/callbacks', filtered: true },
  'callbacks.stats': { method: 'GET', path: () => '/api/v1/callbacks/stats', filtered: true },
  'callbacks.cancel': { method: 'POST', path: () => '/api/v1/callbacks/cba/cancel' },
  'callbacks.move': { method: 'POST', path: () => '/api/v1/callbacks/cba/move', body: { position: 1 } },
  'reports.licences': { method: 'GET', path: () => '/api/v1/reports/licences?month=2026-11', filtered: true },
}

const routes = buildRoutes().filter((r) => r.access !== 'public')

/** Routes Fastify serves outside the route table, each with where its access is tested instead. */
const OUTSIDE_TABLE: Record<string, string> = {
  'GET /metrics': 'its own bearer token (api.metricsTokenFile): test/api/metrics.test.ts',
  'GET /api/openapi.json': 'public by design: test/api/openapi.test.ts',
}

t.test('every route the Fastify server serves has a boundary case', async (t) => {
  const w = await world()
  try {
    const served = w.api.registered
    t.ok(served.length >= routes.length, 'the server reports its routes')
    const isPublic = new Set(w.api.routes.filter((r) => r.access === 'public').map((r) => r.id))
    const missing = served
      .filter((r) => (r.id ? !isPublic.has(r.id) && !CASES[r.id] : !OUTSIDE_TABLE[`${r.method} ${r.url}`]))
      .map((r) => r.id ?? `${r.method} ${r.url}`)
    t.same(missing, [], 'served routes without a boundary case')
    const stale = Object.keys(CASES).filter((id) => !served.some((r) => r.id === id))
    t.same(stale, [], 'cases for routes the server does not serve')
    const wrongMethod = served.filter((r) => r.id && CASES[r.id] && CASES[r.id].method !== r.method).map((r) => r.id)
    t.same(wrongMethod, [], "each case calls its route's method")
  } finally {
    await w.close()
  }
})

/** Send a case as an actor; SSE streams are read up to the first event and then closed. */
async function send(w: World, c: Case, token: string | undefined): Promise<{ status: number; text: string }> {
  const path = await c.path(w)
  if (path === '/api/v1/events') {
    const ac = new AbortController()
    const res = await fetch(w.url + path, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: ac.signal,
    })
    let text: string
    if (res.status === 200) {
      const reader = res.body!.getReader()
      const { value } = await reader.read()
      text = Buffer.from(value).toString()
      ac.abort()
    } else text = await res.text()
    return { status: res.status, text }
  }
  const r = await call(w.url, c.method, path, {
    token,
    body: c.body,
    raw: c.raw?.data,
    contentType: c.raw?.contentType,
  })
  return { status: r.status, text: r.text }
}

/** tenant A's ids that must never show up in another tenant's answers. */
const TENANT_A_MARKERS = ['"qa"', '"qa2"', '"aa"', '"aa2"', '"ta"', 'Support A', 'Anna', 'admin-a', 'agent-a']

t.test('boundaries per route', async (t) => {
  for (const route of routes) {
    const c = CASES[route.id]
    if (!c) continue
    await t.test(`${route.id} (${route.method} ${route.path}, access ${route.access})`, async (t) => {
      // denied calls on one world (they must not change anything, and are checked not to)
      const w = await world()
      await seed(w)
      try {
        const anon = await send(w, c, undefined)
        t.equal(anon.status, 401, 'anonymous → 401')
        for (const other of ['adminB', 'agentB'] as const) {
          const r = await send(w, c, w.tokens[other])
          if (c.filtered) {
            if (r.status < 300)
              for (const m of TENANT_A_MARKERS) t.notOk(r.text.includes(m), `${other} sees nothing of tenant A (${m})`)
            else t.ok([403, 404].includes(r.status), `${other} → ${r.status}`)
          } else {
            t.ok(
              [403, 404].includes(r.status),
              `${other} (another tenant) → 403/404, got ${r.status} ${r.text.slice(0, 120)}`,
            )
          }
        }
        if (route.access === 'admin' || route.access === 'operator') {
          const r = await send(w, c, w.tokens.agentA)
          t.equal(r.status, 403, `agent of the same tenant → 403 (${r.text.slice(0, 100)})`)
        }
        if (route.access === 'operator') {
          const r = await send(w, c, w.tokens.adminA)
          t.equal(r.status, 403, 'tenant admin → 403 on an operator route')
        }
        if (route.access === 'self') {
          const r = await send(w, c, w.tokens.agentA2)
          t.ok([403, 404].includes(r.status), `another agent of the same tenant → 403/404, got ${r.status}`)
        }
      } finally {
        await w.close()
      }
      // the allowed call on a fresh world
      const w2 = await world()
      await seed(w2)
      try {
        const who = c.allowed ?? 'adminA'
        const r = await send(w2, c, w2.tokens[who])
        if (c.okStatus) t.equal(r.status, c.okStatus, `${who} allowed`)
        else t.ok(r.status >= 200 && r.status < 300, `${who} allowed → 2xx, got ${r.status} ${r.text.slice(0, 200)}`)
      } finally {
        await w2.close()
      }
    })
  }
})
