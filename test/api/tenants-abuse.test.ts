/**
 * Issue 9 (hardening): adding a second tenant while the built-in tenant still has its placeholder domain warns
 * (API answer, log, doctor); a tenant that ever had a closure can be deleted.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { startApiServer } from '../../src/api/server.js'
import { recordingLive } from './fixture.js'
import { call, world } from './fixture.js'
import { Store } from '../../src/store/index.js'
import { placeholderDomainWarning } from '../../src/store/index.js'
import { runDoctor } from '../../src/doctor/index.js'

const START = Date.UTC(2026, 10, 25, 12)

t.test('placeholderDomainWarning', async (t) => {
  t.equal(
    placeholderDomainWarning([{ id: 'default', domain: 'default', queues: 2, agents: 3 }]),
    undefined,
    'one tenant: fine',
  )
  t.equal(
    placeholderDomainWarning([
      { id: 'default', domain: 'default', queues: 0, agents: 0 },
      { id: 'b', domain: 'b.example', queues: 1, agents: 1 },
    ]),
    undefined,
    'an empty built-in tenant loses nothing',
  )
  t.equal(
    placeholderDomainWarning([
      { id: 'default', domain: 'pbx.example', queues: 2, agents: 3 },
      { id: 'b', domain: 'b.example', queues: 1, agents: 1 },
    ]),
    undefined,
    'a real domain: fine',
  )
  t.match(
    placeholderDomainWarning([
      { id: 'default', domain: 'default', queues: 2, agents: 3 },
      { id: 'b', domain: 'b.example', queues: 0, agents: 0 },
    ]),
    /tenant 'default' \(2 queue\(s\), 3 agent\(s\)\) still has the placeholder domain 'default'/,
  )
})

t.test('adding a second tenant warns in the answer and the log', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-tenants-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const clock = { now: () => START, setTimeout: () => ({ id: 0 }), clearTimeout: () => {} }
  const store = await Store.open(join(dir, 'k.sqlite'), { clock })
  t.teardown(() => store.close())
  await store.queues.create({ number: '5000', name: 'Support' })
  await store.agents.create({ extension: '1001', name: 'Anna', plan: 'pro' })
  const op = await store.accounts.create({ username: 'op', password: 'a long password', role: 'operator' })
  const token = (await store.accounts.createToken(op.id, 't')).token
  const lines: string[] = []
  const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }))
  const api = await startApiServer({
    store,
    live: recordingLive(store, clock.now),
    now: clock.now,
    promptDir: dir,
    logger,
  })
  t.teardown(() => api.close())

  const created = await call(api.url, 'POST', '/api/v1/tenants', {
    token,
    body: { id: 'acme', name: 'Acme', domain: 'acme.example' },
  })
  t.equal(created.status, 201)
  t.equal(created.body.id, 'acme')
  t.equal(created.body.warnings.length, 1)
  t.match(
    created.body.warnings[0],
    /tenant 'default' \(1 queue\(s\), 1 agent\(s\)\) still has the placeholder domain 'default'.*its queues get no calls/,
  )
  const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'api change with warnings')
  t.ok(logged, 'logged')
  t.equal(logged.level, 40, 'at warn level')
  t.equal(logged.route, 'tenants.create')

  // the doctor says the same, from the database file
  const report = await runDoctor({
    host: '127.0.0.1',
    port: 1,
    password: 'x',
    timeoutMs: 200,
    soundsDir: dir,
    databasePath: join(dir, 'k.sqlite'),
  })
  const check = report.checks.find((c) => c.name === 'tenants')!
  t.equal(check.ok, false)
  t.match(check.detail, /placeholder domain 'default'/)

  // fixed by giving the built-in tenant FreeSWITCH's domain
  const fixed = await call(api.url, 'PATCH', '/api/v1/tenants/default', { token, body: { domain: 'pbx.example' } })
  t.equal(fixed.status, 200)
  t.notOk('warnings' in fixed.body, 'no warning once fixed')
  const again = await runDoctor({
    host: '127.0.0.1',
    port: 1,
    password: 'x',
    timeoutMs: 200,
    soundsDir: dir,
    databasePath: join(dir, 'k.sqlite'),
  })
  t.same(
    again.checks.find((c) => c.name === 'tenants'),
    { name: 'tenants', ok: true, detail: '2 tenant(s): acme (acme.example), default (pbx.example)' },
  )
  const none = await runDoctor({
    host: '127.0.0.1',
    port: 1,
    password: 'x',
    timeoutMs: 200,
    soundsDir: dir,
    databasePath: join(dir, 'missing.sqlite'),
  })
  t.same(
    none.checks.find((c) => c.name === 'tenants'),
    { name: 'tenants', ok: true, detail: `no database at ${join(dir, 'missing.sqlite')} yet` },
  )
})

t.test('a tenant that had closures can be removed once its queues and agents are gone', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const op = { token: w.tokens.operator }
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/tenants', {
        ...op,
        body: { id: 'tc', name: 'Short-lived', domain: 'c.example' },
      })
    ).status,
    201,
  )
  const q = await call(w.url, 'POST', '/api/v1/queues', { ...op, body: { tenantId: 'tc', number: '7000', name: 'C' } })
  t.equal(
    (await call(w.url, 'POST', `/api/v1/queues/${q.body.id}/close`, { ...op, body: { reason: 'storm' } })).status,
    201,
  )
  t.equal((await call(w.url, 'POST', `/api/v1/queues/${q.body.id}/reopen`, op)).status, 200)
  t.equal((await call(w.url, 'DELETE', '/api/v1/tenants/tc', op)).status, 409, 'refused while it has a queue')
  t.equal((await call(w.url, 'DELETE', `/api/v1/queues/${q.body.id}`, op)).status, 204)
  const removed = await call(w.url, 'DELETE', '/api/v1/tenants/tc', op)
  t.equal(removed.status, 204, 'its closures go with it')
  t.equal(await w.store.tenants.find('tc'), undefined)
  t.same(await w.store.closures.list('tc'), [])
  t.same(
    (await w.store.audit.list({ tenantId: 'tc', entity: 'closure' })).map((a) => a.action),
    ['close'],
    'the audit trail keeps the closure history',
  )
})
