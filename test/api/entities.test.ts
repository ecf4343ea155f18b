/** The API per entity: create/read/update/delete, validation errors naming the field, live actions, reports. */
import t from 'tap'
import { call, world, type World } from './fixture.js'

const op = (w: World) => ({ token: w.tokens.operator })
const admin = (w: World) => ({ token: w.tokens.adminA })

t.test(
  'queues: CRUD, settings merge, validation naming the field, duplicates, durable before the answer',
  async (t) => {
    const w = await world()
    t.teardown(() => w.close())
    // the change is in the store when the daemon reloads, and the reload happens before the response
    let seenAtReload: string[] = []
    const reload = w.live.reloadConfig.bind(w.live)
    w.live.reloadConfig = async () => {
      seenAtReload = (await w.store.queues.list('ta')).map((q) => q.number)
      return reload()
    }
    const created = await call(w.url, 'POST', '/api/v1/queues', {
      ...admin(w),
      body: {
        number: '5200',
        name: 'Billing',
        tags: ['billing'],
        settings: { ringTimeSec: 25, strategy: 'ring-parallel', parallelCount: 3 },
      },
    })
    t.equal(created.status, 201)
    t.equal(created.body.tenantId, 'ta', "tenant defaults to the admin's")
    t.equal(created.body.settings.ringTimeSec, 25)
    t.equal(created.body.settings.wrapUpSec, 10, 'defaults filled in')
    t.ok(seenAtReload.includes('5200'), 'the store held the queue when the daemon reloaded')
    t.equal(w.live.reloads, 1)
    const id = created.body.id as string

    const got = await call(w.url, 'GET', `/api/v1/queues/${id}`, admin(w))
    t.equal(got.body.name, 'Billing')

    const patched = await call(w.url, 'PATCH', `/api/v1/queues/${id}`, {
      ...admin(w),
      body: { settings: { wrapUpSec: 30 } },
    })
    t.equal(patched.status, 200)
    t.equal(patched.body.settings.wrapUpSec, 30)
    t.equal(patched.body.settings.ringTimeSec, 25, 'other settings kept')

    const bad = await call(w.url, 'PATCH', `/api/v1/queues/${id}`, {
      ...admin(w),
      body: { settings: { ringTimeSec: 'soon' } },
    })
    t.equal(bad.status, 400)
    t.same(bad.body.error.code, 'VALIDATION')
    t.equal(bad.body.error.field, 'settings.ringTimeSec')
    t.match(bad.body.error.message, /integer/)

    const unknownKey = await call(w.url, 'PATCH', `/api/v1/queues/${id}`, {
      ...admin(w),
      body: { settings: { ringTime: 3 } },
    })
    t.equal(unknownKey.body.error.field, 'settings.ringTime')

    const badAction = await call(w.url, 'PATCH', `/api/v1/queues/${id}`, {
      ...admin(w),
      body: { settings: { closedAction: { type: 'forward' } } },
    })
    t.equal(badAction.status, 400)
    t.equal(badAction.body.error.field, 'settings.closedAction.destination')

    const missing = await call(w.url, 'POST', '/api/v1/queues', { ...admin(w), body: { name: 'No number' } })
    t.equal(missing.status, 400)
    t.equal(missing.body.error.field, 'number')

    const dup = await call(w.url, 'POST', '/api/v1/queues', { ...admin(w), body: { number: '5000', name: 'Again' } })
    t.equal(dup.status, 409, 'duplicate number → 409')
    t.equal(dup.body.error.code, 'CONFLICT')

    const notJson = await fetch(`${w.url}/api/v1/queues`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.tokens.adminA}`, 'content-type': 'application/json' },
      body: '{nope',
    })
    t.equal(notJson.status, 400)

    const del = await call(w.url, 'DELETE', `/api/v1/queues/${id}`, admin(w))
    t.equal(del.status, 204)
    t.equal((await call(w.url, 'GET', `/api/v1/queues/${id}`, admin(w))).status, 404)
    t.equal((await call(w.url, 'GET', '/api/v1/queues/nope', op(w))).status, 404, 'unknown id → 404 for operators too')

    const audit = await w.store.audit.list({ tenantId: 'ta', entity: 'queue' })
    t.same(audit.map((a) => a.action).sort(), ['create', 'remove', 'update'], 'every change audited')
    t.equal(audit[0].actor, 'admin-a')
  },
)

t.test('tenants, agents, skills, devices, memberships', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const tenant = await call(w.url, 'POST', '/api/v1/tenants', {
    ...op(w),
    body: { id: 'tc', name: 'C', domain: 'c.example' },
  })
  t.equal(tenant.status, 201)
  t.equal(
    (await call(w.url, 'POST', '/api/v1/tenants', { ...op(w), body: { name: 'C2', domain: 'c.example' } })).status,
    409,
    'duplicate domain',
  )

  const agent = await call(w.url, 'POST', '/api/v1/agents', {
    ...op(w),
    body: {
      tenantId: 'tc',
      extension: '3001',
      name: 'Dan',
      plan: 'enterprise',
      devices: [{ type: 'deskphone', target: '3001' }],
    },
  })
  t.equal(agent.status, 201)
  const badPlan = await call(w.url, 'POST', '/api/v1/agents', {
    ...op(w),
    body: { tenantId: 'tc', extension: '3002', name: 'E', plan: 'gold' },
  })
  t.equal(badPlan.body.error.field, 'plan')
  const badDevice = await call(w.url, 'PATCH', `/api/v1/agents/${agent.body.id}`, {
    ...op(w),
    body: { devices: [{ type: 'pager', target: '1' }] },
  })
  t.equal(badDevice.body.error.field, 'devices[0].type')
  const badActive = await call(w.url, 'PATCH', `/api/v1/agents/${agent.body.id}`, {
    ...op(w),
    body: { activeDevice: 3 },
  })
  t.equal(badActive.body.error.field, 'activeDevice')

  const skill = await call(w.url, 'PUT', `/api/v1/agents/${agent.body.id}/skills/english`, {
    ...op(w),
    body: { level: 7 },
  })
  t.same(skill.body.skills, { english: 7 })
  const badSkill = await call(w.url, 'PUT', `/api/v1/agents/${agent.body.id}/skills/english`, {
    ...op(w),
    body: { level: 11 },
  })
  t.equal(badSkill.body.error.field, 'level')
  t.equal(
    (await call(w.url, 'DELETE', `/api/v1/agents/${agent.body.id}/skills/english`, op(w))).body.skills.english,
    undefined,
  )

  const q = await call(w.url, 'POST', '/api/v1/queues', {
    ...op(w),
    body: { tenantId: 'tc', number: '7000', name: 'C support' },
  })
  const m = await call(w.url, 'POST', '/api/v1/memberships', {
    ...op(w),
    body: { agentId: agent.body.id, queueId: q.body.id },
  })
  t.equal(m.status, 201)
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/memberships', {
        ...op(w),
        body: { agentId: agent.body.id, queueId: q.body.id },
      })
    ).status,
    409,
    'already a member',
  )
  const cross = await call(w.url, 'POST', '/api/v1/memberships', {
    ...op(w),
    body: { agentId: agent.body.id, queueId: 'qa' },
  })
  t.equal(cross.status, 404, 'a queue of another tenant is not found for the agent')
  t.equal(cross.body.error.field, 'queueId')
  const list = await call(w.url, 'GET', '/api/v1/memberships?tenant=tc', op(w))
  t.same(
    list.body.items.map((x: { queueId: string }) => x.queueId),
    [q.body.id],
  )
  t.equal((await call(w.url, 'DELETE', `/api/v1/memberships/${agent.body.id}/${q.body.id}`, op(w))).status, 204)
  t.equal((await call(w.url, 'DELETE', `/api/v1/memberships/${agent.body.id}/${q.body.id}`, op(w))).status, 404)

  const inUse = await call(w.url, 'DELETE', '/api/v1/tenants/tc', op(w))
  t.equal(inUse.status, 409, 'a tenant with queues cannot be removed')
})

t.test('live agent actions reach the engine; plan gate; membership; device', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const agentTok = { token: w.tokens.agentA }
  const login = await call(w.url, 'POST', '/api/v1/agents/aa/login', { ...agentTok, body: { queueIds: ['qa'] } })
  t.equal(login.status, 200)
  t.match(w.live.events.at(-1), { type: 'agent-login', agentId: 'aa', queueIds: ['qa'], source: 'api' })
  t.ok(
    login.body.status.agents.some((a: { agentId: string; state: string }) => a.agentId === 'aa' && a.state === 'free'),
    'answer carries the new status',
  )

  const notMember = await call(w.url, 'POST', '/api/v1/agents/aa/login', { ...agentTok, body: { queueIds: ['qa2'] } })
  t.equal(notMember.status, 409)
  t.equal(notMember.body.error.field, 'queueIds[0]')
  const otherTenantQueue = await call(w.url, 'POST', '/api/v1/agents/aa/login', {
    ...agentTok,
    body: { queueIds: ['qb'] },
  })
  t.equal(otherTenantQueue.status, 404)

  const basic = await call(w.url, 'POST', '/api/v1/agents/aa2/login', { token: w.tokens.agentA2 })
  t.equal(basic.status, 403)
  t.equal(basic.body.error.code, 'PLAN')
  t.match(basic.body.error.message, /Pro, Business or Enterprise/)

  await call(w.url, 'POST', '/api/v1/agents/aa/pause', { ...agentTok, body: { reason: 'lunch' } })
  t.match(w.live.events.at(-1), { type: 'agent-pause', paused: true, reason: 'lunch' })
  await call(w.url, 'POST', '/api/v1/agents/aa/unpause', agentTok)
  t.match(w.live.events.at(-1), { type: 'agent-pause', paused: false })

  const dev = await call(w.url, 'POST', '/api/v1/agents/aa/device', { ...agentTok, body: { index: 1 } })
  t.equal(dev.status, 200)
  t.equal((await w.store.agents.get('aa')).activeDevice, 1, 'device choice durable')
  t.match(w.live.events.at(-1), { type: 'agent-device', deviceIndex: 1 })
  const noDev = await call(w.url, 'POST', '/api/v1/agents/aa/device', { ...agentTok, body: { index: 5 } })
  t.equal(noDev.body.error.field, 'index')

  await call(w.url, 'POST', '/api/v1/agents/aa/end-wrapup', agentTok)
  t.match(w.live.events.at(-1), { type: 'agent-end-wrapup', agentId: 'aa' })
  await call(w.url, 'POST', '/api/v1/agents/aa/logout', agentTok)
  t.match(w.live.events.at(-1), { type: 'agent-logout', agentId: 'aa' })
  t.notOk('queueIds' in w.live.events.at(-1)!, 'logout of all queues')

  const cli = await call(w.url, 'POST', '/api/v1/agents/aa/logout', {
    ...agentTok,
    headers: { 'user-agent': 'koplus-cli/0.1' },
  })
  t.equal(cli.status, 200)
  t.match(w.live.events.at(-1), { source: 'cli' })
})

t.test('schedules: rules, explain, next; bad RRULE names the field and saves nothing', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const put = await call(w.url, 'PUT', '/api/v1/queues/qa/schedule', {
    ...admin(w),
    body: {
      schedule: {
        timeZone: 'Europe/Stockholm',
        calendarIds: [],
        rules: [
          {
            id: 'weekdays',
            kind: 'open',
            rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
            start: '08:00',
            durationMinutes: 540,
            label: 'Weekdays',
          },
        ],
      },
    },
  })
  t.equal(put.status, 200)
  // 2026-11-25 is a Wednesday; 12:00 UTC = 13:00 Stockholm → open
  const ex = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=2026-11-25T12:00:00Z', admin(w))
  t.equal(ex.status, 200)
  t.equal(ex.body.open, true)
  t.equal(ex.body.decidedBy.id, 'weekdays')
  t.equal(ex.body.nextChange, Date.parse('2026-11-25T16:00:00Z'), 'closes at 17:00 local')
  const sat = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=2026-11-28T12:00:00Z', admin(w))
  t.equal(sat.body.open, false)
  const badAt = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=tomorrowish', admin(w))
  t.equal(badAt.body.error.field, 'at')

  const next = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/next?days=7', admin(w))
  t.equal(next.status, 200)
  t.ok(next.body.items.length >= 8, '7 days of weekday open/close transitions')
  t.equal(next.body.items[0].at, Date.parse('2026-11-25T16:00:00Z'))
  t.equal((await call(w.url, 'GET', '/api/v1/queues/qa/schedule/next?days=0', admin(w))).body.error.field, 'days')

  const badRule = await call(w.url, 'POST', '/api/v1/queues/qa/schedule/rules', {
    ...admin(w),
    body: { kind: 'open', rrule: 'FREQ=WEEK', start: '09:00', durationMinutes: 60 },
  })
  t.equal(badRule.status, 400)
  t.equal(badRule.body.error.field, 'rrule')
  t.match(badRule.body.error.message, /FREQ/)
  t.equal((await w.store.queues.get('qa')).schedule!.rules.length, 1, 'nothing saved')
  const badTime = await call(w.url, 'POST', '/api/v1/queues/qa/schedule/rules', {
    ...admin(w),
    body: { kind: 'open', rrule: 'FREQ=DAILY', start: '25:00', durationMinutes: 60 },
  })
  t.equal(badTime.status, 400)
  t.equal(badTime.body.error.field, 'start')

  const sat2 = await call(w.url, 'POST', '/api/v1/queues/qa/schedule/rules', {
    ...admin(w),
    body: { id: 'sat', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=SA', start: '10:00', durationMinutes: 240 },
  })
  t.equal(sat2.status, 201)
  t.equal(w.live.events.at(-1)!.type, 'reevaluate', 'the engine re-evaluates opening')
  t.equal(
    (await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=2026-11-28T12:00:00Z', admin(w))).body.open,
    true,
  )
  t.equal((await call(w.url, 'DELETE', '/api/v1/queues/qa/schedule/rules/sat', admin(w))).status, 204)
  t.equal((await call(w.url, 'DELETE', '/api/v1/queues/qa/schedule/rules/sat', admin(w))).status, 404)

  const badZone = await call(w.url, 'PUT', '/api/v1/queues/qa/schedule', {
    ...admin(w),
    body: { schedule: { timeZone: 'Mars/Olympus', calendarIds: [], rules: [] } },
  })
  t.equal(badZone.body.error.field, 'schedule.timeZone')
})

t.test('holiday calendars and closures (list, tag, tenant; until; reopen; audit fields)', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const cal = await call(w.url, 'POST', '/api/v1/calendars', {
    ...admin(w),
    body: { name: 'Sweden', country: 'SE', customDates: [{ date: '2026-12-23', name: 'Lillejulafton', closed: true }] },
  })
  t.equal(cal.status, 201)
  t.equal(cal.body.tenantId, 'ta')
  const badDate = await call(w.url, 'PATCH', `/api/v1/calendars/${cal.body.id}`, {
    ...admin(w),
    body: { customDates: [{ date: '23/12', name: 'x', closed: true }] },
  })
  t.equal(badDate.body.error.field, 'customDates[0].date')
  const shared = await call(w.url, 'POST', '/api/v1/calendars', {
    ...admin(w),
    body: { tenantId: null, name: 'Shared' },
  })
  t.equal(shared.status, 403, 'shared calendars are for operators')
  t.equal(
    (await call(w.url, 'POST', '/api/v1/calendars', { ...op(w), body: { tenantId: null, name: 'Shared' } })).status,
    201,
  )

  // a closure by tag, until a time
  const until = '2026-11-25T14:00:00Z'
  const byTag = await call(w.url, 'POST', '/api/v1/closures', {
    ...admin(w),
    body: { tag: 'support', until, reason: 'all support closed 13-15' },
  })
  t.equal(byTag.status, 201)
  t.same(byTag.body.queueIds, ['qa'], 'only tenant A support queues')
  t.equal(byTag.body.by, 'admin-a')
  t.equal(byTag.body.until, Date.parse(until))
  t.equal(w.live.events.at(-1)!.type, 'reevaluate')
  const ex = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain', admin(w))
  t.equal(ex.body.open, false, 'closed by the closure')
  t.equal(ex.body.decidedBy.kind, 'closure')

  const all = await call(w.url, 'POST', '/api/v1/closures', { ...admin(w), body: { all: true, reason: 'fire drill' } })
  t.same(all.body.queueIds.sort(), ['qa', 'qa2'])
  const both = await call(w.url, 'POST', '/api/v1/closures', {
    ...admin(w),
    body: { all: true, tag: 'x', reason: 'r' },
  })
  t.equal(both.body.error.field, 'queueIds')
  const unknownQueue = await call(w.url, 'POST', '/api/v1/closures', {
    ...admin(w),
    body: { queueIds: ['qa', 'qb'], reason: 'r' },
  })
  t.equal(unknownQueue.status, 404)
  t.equal(unknownQueue.body.error.field, 'queueIds[1]')
  const past = await call(w.url, 'POST', '/api/v1/closures', {
    ...admin(w),
    body: { queueIds: ['qa'], until: '2026-01-01T00:00:00Z', reason: 'r' },
  })
  t.equal(past.body.error.field, 'until')
  const future = await call(w.url, 'POST', '/api/v1/closures', {
    ...admin(w),
    body: { queueIds: ['qa2'], from: '2026-12-24T00:00:00Z', until: '2026-12-27T00:00:00Z', reason: 'Christmas' },
  })
  t.equal(future.status, 201)

  const reopen = await call(w.url, 'POST', `/api/v1/closures/${all.body.id}/reopen`, admin(w))
  t.equal(reopen.status, 200)
  t.equal(reopen.body.reopenedBy, 'admin-a')
  t.equal(reopen.body.reopenedAt, w.now.t)
  t.equal((await call(w.url, 'POST', `/api/v1/closures/${all.body.id}/reopen`, admin(w))).status, 409)

  // one queue: close now until reopened, then reopen
  const close = await call(w.url, 'POST', '/api/v1/queues/qa2/close', { ...admin(w), body: { reason: 'sick' } })
  t.equal(close.status, 201)
  t.equal(close.body.until, undefined, 'until reopened')
  const re = await call(w.url, 'POST', '/api/v1/queues/qa2/reopen', admin(w))
  t.equal(re.status, 200)
  t.equal((await call(w.url, 'GET', '/api/v1/queues/qa2/schedule/explain', admin(w))).body.open, true)
  t.equal((await call(w.url, 'POST', '/api/v1/queues/qa2/reopen', admin(w))).status, 409, 'nothing to reopen')
  const active = await call(w.url, 'GET', '/api/v1/closures?active=true', admin(w))
  t.same(active.body.items.map((c: { reason: string }) => c.reason).sort(), ['Christmas', 'all support closed 13-15'])
})

t.test('accounts, tokens, login sessions, CSRF, rate limit, secrets not logged', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const created = await call(w.url, 'POST', '/api/v1/accounts', {
    ...admin(w),
    body: { username: 'agent-anna', password: 'a long password', role: 'agent', agentId: 'aa' },
  })
  t.equal(created.status, 201)
  t.notOk('passwordHash' in created.body)
  t.notOk(created.text.includes('a long password'))
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/accounts', {
        ...admin(w),
        body: { username: 'x-op', password: 'a long password', role: 'operator' },
      })
    ).status,
    403,
    'tenant admins cannot create operators',
  )
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/accounts', {
        ...admin(w),
        body: { username: 'xx', password: 'short', role: 'agent', agentId: 'aa' },
      })
    ).body.error.field,
    'password',
  )
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/accounts', {
        ...admin(w),
        body: { username: 'x-b', password: 'a long password', role: 'agent', agentId: 'ab' },
      })
    ).status,
    404,
    "another tenant's agent",
  )
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/accounts', {
        ...admin(w),
        body: { username: 'agent-anna', password: 'a long password', role: 'agent', agentId: 'aa' },
      })
    ).status,
    409,
  )

  // login → cookie flags; CSRF on changes
  const login = await call(w.url, 'POST', '/api/v1/auth/login', {
    body: { username: 'agent-anna', password: 'a long password' },
  })
  t.equal(login.status, 200)
  const cookie = login.headers.get('set-cookie')!
  t.match(cookie, /koplus_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/)
  t.notMatch(cookie, /Secure/, 'loopback http: no Secure flag')
  const session = cookie.split(';')[0]
  const me = await call(w.url, 'GET', '/api/v1/auth/me', { headers: { cookie: session } })
  t.equal(me.body.account.username, 'agent-anna')
  t.equal(me.body.csrfToken, login.body.csrfToken)
  const noCsrf = await call(w.url, 'POST', '/api/v1/agents/aa/pause', { headers: { cookie: session }, body: {} })
  t.equal(noCsrf.status, 403)
  t.equal(noCsrf.body.error.code, 'CSRF')
  const wrongCsrf = await call(w.url, 'POST', '/api/v1/agents/aa/pause', {
    headers: { cookie: session, 'x-csrf-token': 'nope' },
    body: {},
  })
  t.equal(wrongCsrf.body.error.code, 'CSRF')
  const withCsrf = await call(w.url, 'POST', '/api/v1/agents/aa/pause', {
    headers: { cookie: session, 'x-csrf-token': login.body.csrfToken },
    body: {},
  })
  t.equal(withCsrf.status, 200)
  t.match(w.live.events.at(-1), { type: 'agent-pause', source: 'web' })
  const logout = await call(w.url, 'POST', '/api/v1/auth/logout', {
    headers: { cookie: session, 'x-csrf-token': login.body.csrfToken },
  })
  t.equal(logout.status, 204)
  t.equal((await call(w.url, 'GET', '/api/v1/auth/me', { headers: { cookie: session } })).status, 401, 'session ended')

  // rate limit per username+IP: 5 per minute
  const statuses: number[] = []
  for (let i = 0; i < 6; i++)
    statuses.push(
      (await call(w.url, 'POST', '/api/v1/auth/login', { body: { username: 'admin-a', password: 'wrong password' } }))
        .status,
    )
  t.same(statuses, [401, 401, 401, 401, 401, 429])
  const limited = await call(w.url, 'POST', '/api/v1/auth/login', {
    body: { username: 'admin-a', password: 'correct horse battery' },
  })
  t.equal(limited.status, 429, 'even the right password waits')
  t.ok(Number(limited.headers.get('retry-after')) > 0)
  w.now.t += 61_000
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/auth/login', {
        body: { username: 'admin-a', password: 'correct horse battery' },
      })
    ).status,
    200,
    'allowed after a minute',
  )
  t.equal(
    (await call(w.url, 'POST', '/api/v1/auth/login', { body: { username: 'op', password: 'wrong password' } })).status,
    401,
    'another username has its own budget',
  )

  // tokens: shown once, stored hashed, revocable
  const tok = await call(w.url, 'POST', '/api/v1/tokens', { ...admin(w), body: { name: 'ci' } })
  t.equal(tok.status, 201)
  t.match(tok.body.token, /^kp_/)
  t.equal((await call(w.url, 'GET', '/api/v1/auth/me', { token: tok.body.token })).body.account.username, 'admin-a')
  const listed = await call(w.url, 'GET', '/api/v1/tokens', admin(w))
  t.notOk(listed.text.includes(tok.body.token), 'the secret is never listed')
  const dump = JSON.stringify(await w.store.db.all('SELECT * FROM api_tokens'))
  t.notOk(dump.includes(tok.body.token), 'only a hash is stored')
  t.equal((await call(w.url, 'DELETE', `/api/v1/tokens/${tok.body.id}`, admin(w))).status, 204)
  t.equal((await call(w.url, 'GET', '/api/v1/auth/me', { token: tok.body.token })).status, 401)
  t.equal((await call(w.url, 'GET', '/api/v1/auth/me', { headers: { authorization: 'Basic abc' } })).status, 401)
})

t.test('Secure cookie over https', async (t) => {
  const { startApiServer } = await import('../../src/api/server.js')
  const w = await world()
  t.teardown(() => w.close())
  const secure = await startApiServer({ store: w.store, live: w.live, promptDir: w.promptDir, secure: true })
  t.teardown(() => secure.close())
  const login = await call(secure.url, 'POST', '/api/v1/auth/login', {
    body: { username: 'admin-a', password: 'correct horse battery' },
  })
  t.match(login.headers.get('set-cookie')!, /; Secure/)
})

t.test('reports: calls, stats (JSON and CSV), EWT accuracy, licences', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const s = w.store
  const at = w.now.t - 3600_000
  await s.calls.start({
    callId: 'c1',
    tenantId: 'ta',
    queueId: 'qa',
    arrivedAt: at,
    callerNumber: '0701',
    enteredQueueAt: at,
  })
  await s.calls.update('c1', {
    answeredAt: at + 15_000,
    endedAt: at + 75_000,
    outcome: 'answered',
    agentId: 'aa',
    waitMs: 15_000,
    talkMs: 60_000,
  })
  await s.calls.start({
    callId: 'c2',
    tenantId: 'ta',
    queueId: 'qa',
    arrivedAt: at + 1000,
    callerNumber: '0702, "x"',
    enteredQueueAt: at + 1000,
  })
  await s.calls.update('c2', { endedAt: at + 40_000, outcome: 'abandoned', waitMs: 39_000 })
  await s.calls.start({ callId: 'c3', tenantId: 'tb', queueId: 'qb', arrivedAt: at, callerNumber: '0703' })

  const calls = await call(w.url, 'GET', '/api/v1/calls', admin(w))
  t.same(calls.body.items.map((c: { callId: string }) => c.callId).sort(), ['c1', 'c2'], 'only own tenant')
  const agentCalls = await call(w.url, 'GET', '/api/v1/calls', { token: w.tokens.agentA })
  t.same(
    agentCalls.body.items.map((c: { callId: string }) => c.callId),
    ['c1'],
    'an agent sees own calls',
  )
  t.equal((await call(w.url, 'GET', '/api/v1/calls?queue=qb', admin(w))).status, 404)
  t.equal((await call(w.url, 'GET', '/api/v1/calls?limit=0', admin(w))).body.error.field, 'limit')

  const stats = await call(w.url, 'GET', '/api/v1/stats/queues?by=day', admin(w))
  t.equal(stats.status, 200)
  const row = stats.body.items.find((r: { queueId: string }) => r.queueId === 'qa')
  t.match(row, { offered: 2, answered: 1, abandoned: 1 })
  const csv = await call(w.url, 'GET', '/api/v1/stats/queues?by=hour&format=csv', admin(w))
  t.match(csv.headers.get('content-type')!, /text\/csv/)
  t.match(csv.headers.get('content-disposition')!, /queue-stats\.csv/)
  const [header, ...lines] = csv.text.trim().split('\r\n')
  t.match(header, /^queueId,bucket,/)
  t.ok(
    lines.some((l) => l.includes('"0702, ""x"""')),
    'abandoned callers listed, quoted CSV',
  )
  t.equal((await call(w.url, 'GET', '/api/v1/stats/queues?from=soon', admin(w))).body.error.field, 'from')

  const agents = await call(w.url, 'GET', '/api/v1/stats/agents', { token: w.tokens.agentA })
  t.same(
    agents.body.items.map((r: { agentId: string }) => r.agentId),
    ['aa'],
  )

  await s.ewt.record({ callId: 'c1', queueId: 'qa', at, position: 1, announcedSeconds: 30 })
  await s.ewt.resolve('c1', at + 15_000)
  const ewt = await call(w.url, 'GET', '/api/v1/queues/qa/stats/ewt', admin(w))
  t.match(ewt.body, { queueId: 'qa', n: 1, maeSeconds: 15 })

  const lic = await call(w.url, 'GET', '/api/v1/reports/licences?month=2026-11', admin(w))
  t.same(lic.body.items.map((r: { agentId: string }) => r.agentId).sort(), ['aa', 'aa2'])
  const licAll = await call(w.url, 'GET', '/api/v1/reports/licences?month=2026-11', op(w))
  t.equal(licAll.body.items.length, 3)
  const licB = await call(w.url, 'GET', '/api/v1/reports/licences?month=2026-11&tenant=tb&format=csv', op(w))
  t.match(licB.text, /^tenant,agentId,extension,name,plan,firstMemberAt,queues\r\ntb,ab,2001,Cia,business,/)
  t.equal((await call(w.url, 'GET', '/api/v1/reports/licences?month=2026-13', op(w))).body.error.field, 'month')
  t.equal((await call(w.url, 'GET', '/api/v1/reports/licences', op(w))).body.error.field, 'month')
  t.equal(
    (await call(w.url, 'GET', '/api/v1/reports/licences?month=2026-11&tenant=tb', admin(w))).status,
    404,
    "another tenant's report",
  )
})

t.test('errors: unknown endpoint, wrong method, wrong content type', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  t.equal((await call(w.url, 'GET', '/api/v1/nothing', admin(w))).status, 404)
  const wrong = await call(w.url, 'PUT', '/api/v1/queues', admin(w))
  t.equal(wrong.status, 405)
  const form = await fetch(`${w.url}/api/v1/queues`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.tokens.adminA}`, 'content-type': 'text/plain' },
    body: 'number=1',
  })
  t.equal(form.status, 415)
})
