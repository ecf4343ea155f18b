/**
 * Test harness for the API: a real Store (SQLite in memory), a LiveControl that records what it was asked, two
 * tenants with an admin, an agent and a queue each, and an operator — all with API tokens.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store, type AgentRecord, type QueueRecord } from '../../src/store/index.js'
import type { CoreEvent } from '../../src/core/events.js'
import { ChangeNotifier, type LiveControl } from '../../src/api/live.js'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { type LoginRateLimiter } from '../../src/api/auth.js'
import { KoplusMetrics } from '../../src/api/metrics.js'
import { checkAnswer } from './openapi-check.js'

export interface RecordingLive extends LiveControl {
  events: CoreEvent[]
  reloads: number
  changes: ChangeNotifier
  /** Re-read the queues and agents status() reports. */
  refresh(): Promise<void>
}

/**
 * A LiveControl that records reloads and dispatched events, and reports a status built from the store: the queues
 * and agents as they were at the last `refresh()` (the API reloads after every operator change; status() is
 * synchronous and the store is not).
 */
export function recordingLive(store: Store, now: () => number): RecordingLive {
  const changes = new ChangeNotifier()
  const loggedIn = new Map<string, Set<string>>()
  let queues: QueueRecord[] = []
  let agents: AgentRecord[] = []
  const live: RecordingLive = {
    events: [],
    reloads: 0,
    changes,
    async refresh() {
      queues = await store.queues.list()
      agents = await store.agents.list()
    },
    async reloadConfig() {
      live.reloads++
      await live.refresh()
      changes.notify()
    },
    async dispatch(event) {
      live.events.push(event)
      if (event.type === 'agent-login') {
        const qs = event.queueIds ?? (await store.memberships.list({ agentId: event.agentId })).map((m) => m.queueId)
        loggedIn.set(event.agentId, new Set([...(loggedIn.get(event.agentId) ?? []), ...qs]))
      } else if (event.type === 'agent-logout') {
        if (event.queueIds) for (const q of event.queueIds) loggedIn.get(event.agentId)?.delete(q)
        else loggedIn.delete(event.agentId)
      }
      changes.notify()
    },
    status() {
      return {
        at: now(),
        queues: queues.map((q) => ({
          queueId: q.id,
          tenantId: q.tenantId,
          number: q.number,
          name: q.name,
          waiting: 0,
          callers: [],
        })),
        agents: agents.map((a) => ({
          agentId: a.id,
          tenantId: a.tenantId,
          extension: a.extension,
          state: loggedIn.get(a.id)?.size ? 'free' : 'logged-out',
          queues: [...(loggedIn.get(a.id) ?? [])],
        })),
      }
    },
    onChange: (l) => changes.subscribe(l),
  }
  return live
}

export interface World {
  store: Store
  live: RecordingLive
  api: ApiServer
  url: string
  promptDir: string
  metrics: KoplusMetrics
  now: { t: number }
  tokens: { operator: string; adminA: string; adminB: string; agentA: string; agentA2: string; agentB: string }
  ids: {
    queueA: string
    queueA2: string
    queueB: string
    agentA: string
    agentA2: string
    agentB: string
    tenantA: string
    tenantB: string
  }
  close(): Promise<void>
}

type Tokens = World['tokens']
let template: Promise<{ path: string; tokens: Tokens }> | undefined
const tmpRoot = mkdtempSync(join(tmpdir(), 'koplus-api-test-'))
process.on('exit', () => rmSync(tmpRoot, { recursive: true, force: true }))
const START = Date.UTC(2026, 10, 25, 12, 0, 0)
/** The month ('YYYY-MM', UTC) of the fixture's fixed clock, for reports over "this month". */
export const FIXTURE_MONTH = new Date(START).toISOString().slice(0, 7)

/** The seeded database, built once per process (scrypt hashing is slow on purpose) and copied for each world. */
function buildTemplate(): Promise<{ path: string; tokens: Tokens }> {
  return (template ??= seedTemplate())
}

async function seedTemplate(): Promise<{ path: string; tokens: Tokens }> {
  const path = join(tmpRoot, 'template.sqlite')
  const store = await Store.open(path, {
    clock: { now: () => START, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} },
  })
  await store.tenants.create({ id: 'ta', name: 'Tenant A', domain: 'a.example' })
  await store.tenants.create({ id: 'tb', name: 'Tenant B', domain: 'b.example' })
  await store.queues.create({ id: 'qa', tenantId: 'ta', number: '5000', name: 'Support A', tags: ['support'] })
  await store.queues.create({ id: 'qa2', tenantId: 'ta', number: '5001', name: 'Sales A', tags: ['sales'] })
  await store.queues.create({ id: 'qb', tenantId: 'tb', number: '6000', name: 'Support B', tags: ['support'] })
  await store.agents.create({
    id: 'aa',
    tenantId: 'ta',
    extension: '1001',
    name: 'Anna',
    plan: 'pro',
    sipUser: '1001',
    devices: [
      { type: 'softphone', target: '1001' },
      { type: 'mobile', target: '0701234567' },
    ],
  })
  await store.agents.create({
    id: 'aa2',
    tenantId: 'ta',
    extension: '1002',
    name: 'Bo',
    plan: 'basic',
    sipUser: '1002',
    devices: [{ type: 'softphone', target: '1002' }],
  })
  await store.agents.create({
    id: 'ab',
    tenantId: 'tb',
    extension: '2001',
    name: 'Cia',
    plan: 'business',
    sipUser: '2001',
    devices: [{ type: 'softphone', target: '2001' }],
  })
  await store.memberships.add('aa', 'qa')
  await store.memberships.add('aa2', 'qa')
  await store.memberships.add('ab', 'qb')
  const mk = async (
    username: string,
    role: 'operator' | 'tenant-admin' | 'agent',
    tenantId: string | null,
    agentId: string | null,
  ): Promise<string> => {
    const acc = await store.accounts.create({ username, password: PASSWORD, role, tenantId, agentId })
    return (await store.accounts.createToken(acc.id, 'test')).token
  }
  const tokens = {
    operator: await mk('op', 'operator', null, null),
    adminA: await mk('admin-a', 'tenant-admin', 'ta', null),
    adminB: await mk('admin-b', 'tenant-admin', 'tb', null),
    agentA: await mk('agent-a', 'agent', 'ta', 'aa'),
    agentA2: await mk('agent-a2', 'agent', 'ta', 'aa2'),
    agentB: await mk('agent-b', 'agent', 'tb', 'ab'),
  }
  // SQLite: everything in the main file before it is copied (closing the last connection checkpoints too)
  if (store.backend === 'sqlite') await store.db.get('PRAGMA wal_checkpoint(TRUNCATE)')
  await store.close()
  return { path, tokens }
}

/** The password of every test account. */
export const PASSWORD = 'correct horse battery'

let seq = 0
/** Build the two-tenant world (a copy of the template database) and start the server on 127.0.0.1:0. */
export async function world(
  opts: { soxPath?: string; limiter?: LoginRateLimiter; metricsToken?: string } = {},
): Promise<World> {
  const tpl = await buildTemplate()
  const now = { t: START }
  const clock = { now: () => now.t, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} }
  const path = join(tmpRoot, `w${++seq}.sqlite`)
  copyFileSync(tpl.path, path)
  const store = await Store.open(path, { clock })
  const live = recordingLive(store, clock.now)
  await live.refresh()
  const promptDir = mkdtempSync(join(tmpRoot, 'prompts-'))
  writeFileSync(join(promptDir, 'seed.wav'), 'x')
  const metrics = new KoplusMetrics()
  const api = await startApiServer({
    store,
    live,
    now: clock.now,
    promptDir,
    soxPath: opts.soxPath,
    loginLimiter: opts.limiter,
    metrics,
    metricsToken: opts.metricsToken,
  })
  return {
    store,
    live,
    api,
    url: api.url,
    promptDir,
    metrics,
    now,
    tokens: tpl.tokens,
    ids: {
      queueA: 'qa',
      queueA2: 'qa2',
      queueB: 'qb',
      agentA: 'aa',
      agentA2: 'aa2',
      agentB: 'ab',
      tenantA: 'ta',
      tenantB: 'tb',
    },
    async close() {
      await api.close()
      await store.close()
    },
  }
}

export interface Reply {
  status: number
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string
  headers: Headers
}

/** Call the API; throws when the answer does not match the served OpenAPI document. */
export async function call(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: Buffer; contentType?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  let body: string | Buffer | undefined
  if (opts.raw) {
    body = opts.raw
    headers['content-type'] = opts.contentType ?? 'application/octet-stream'
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(url + path, { method, headers, body })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  // every answer the API tests receive must match the OpenAPI document the server serves (openapi-check.ts)
  await checkAnswer(url, {
    method,
    path,
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: parsed,
    text,
  })
  return { status: res.status, body: parsed, text, headers: res.headers }
}

/** A tiny valid WAV (8 kHz mono 16-bit, 0.1 s of a tone). */
export function tinyWav(): Buffer {
  const n = 800
  const data = Buffer.alloc(n * 2)
  for (let i = 0; i < n; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2)
  const h = Buffer.alloc(44)
  h.write('RIFF', 0)
  h.writeUInt32LE(36 + data.length, 4)
  h.write('WAVE', 8)
  h.write('fmt ', 12)
  h.writeUInt32LE(16, 16)
  h.writeUInt16LE(1, 20)
  h.writeUInt16LE(1, 22)
  h.writeUInt32LE(8000, 24)
  h.writeUInt32LE(16000, 28)
  h.writeUInt16LE(2, 32)
  h.writeUInt16LE(16, 34)
  h.write('data', 36)
  h.writeUInt32LE(data.length, 40)
  return Buffer.concat([h, data])
}
