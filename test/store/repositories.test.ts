/** The repositories: validation, uniqueness, relations, and the error codes and messages — on SQLite and PostgreSQL. */
import t, { type Test } from 'tap'
import { validateQueueSettings, verifyPassword, type Store } from '../../src/store/index.js'
import { DEFAULT_QUEUE_SETTINGS } from '../../src/core/model.js'
import { VirtualClock } from '../../src/util/clock.js'
import { storeBackends, type StoreBackend } from '../helpers/store-backends.js'
import { storeError as err } from '../helpers/store-error.js'

async function open(t: Test, b: StoreBackend): Promise<{ store: Store; clock: VirtualClock }> {
  const clock = new VirtualClock(Date.UTC(2026, 10, 2, 9, 0, 0))
  return { store: await b.openStore(t, { clock }), clock }
}

/** The StoreError p rejects with (fails the test if it rejects with something else or resolves). */
const backends = await storeBackends(t)

for (const b of backends) {
  t.test(`${b.name}: tenants: create, domain unique, update, remove refused while in use`, async (t) => {
    const { store } = await open(t, b)
    const acme = await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    t.equal((await store.tenants.getByDomain('acme.example'))?.id, 'acme')
    let e = await err(t, store.tenants.create({ name: 'Other', domain: 'acme.example' }))
    t.equal(e.storeCode, 'DUPLICATE')
    t.equal(e.message, "tenant domain 'acme.example' already exists")
    e = await err(t, store.tenants.create({ name: 'Bad', domain: 'Not A Domain' }))
    t.equal(e.storeCode, 'INVALID')
    t.equal(e.field, 'tenant.domain')
    t.equal((await store.tenants.update('acme', { name: 'Acme AB' })).name, 'Acme AB')
    await store.queues.create({ tenantId: acme.id, number: '100', name: 'Sales' })
    e = await err(t, store.tenants.remove('acme'))
    t.equal(e.storeCode, 'IN_USE')
    t.match(e.message, /tenant 'acme' still has 1 queues/)
    t.equal((await err(t, store.tenants.get('nope'))).storeCode, 'NOT_FOUND')
    t.equal(
      (await err(t, store.tenants.create({ name: 'x', domain: 'x.y', colour: 'red' } as never))).message,
      "tenant.colour: unknown tenant field 'colour'",
    )
  })

  t.test(`${b.name}: queues: number unique per tenant, settings merged over defaults and validated`, async (t) => {
    const { store, clock } = await open(t, b)
    await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    const q = await store.queues.create({
      number: '5000',
      name: 'Support',
      tags: ['support', 'support'],
      settings: { ringTimeSec: 15 },
    })
    t.match(q.id, /^q_[a-z2-9]{8}$/)
    t.equal(q.tenantId, 'default')
    t.same(q.tags, ['support'], 'tags de-duplicated')
    t.same(q.settings, { ...DEFAULT_QUEUE_SETTINGS, ringTimeSec: 15 })
    t.same(q.overrides, { ringTimeSec: 15 })

    const dup = await err(t, store.queues.create({ number: '5000', name: 'Again' }))
    t.equal(dup.storeCode, 'DUPLICATE')
    t.equal(dup.message, 'queue number 5000 already exists in tenant default')
    t.equal(dup.field, 'queue.number')
    t.ok(
      await store.queues.create({ tenantId: 'acme', number: '5000', name: 'Acme support' }),
      'the same number in another tenant is fine',
    )
    t.equal(
      (await err(t, store.queues.create({ tenantId: 'nope', number: '5001', name: 'x' }))).message,
      "tenant 'nope' not found",
    )
    t.equal(
      (await err(t, store.queues.create({ number: '50a0', name: 'x' }))).message,
      'queue.number: expected 2-20 digits, got "50a0"',
    )
    t.equal((await err(t, store.queues.create({ number: '5002', name: '' }))).message, 'queue.name: must not be empty')

    // settings: unknown keys named, types and ranges checked
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { ringTime: 5, colour: 1 } as never }))).message,
      "settings.ringTime: unknown queue settings 'ringTime', 'colour'",
    )
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { ringTimeSec: 'abc' as never } }))).message,
      'settings.ringTimeSec: expected an integer 1-300, got "abc"',
    )
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { strategy: 'random' as never } }))).message,
      'settings.strategy: expected one of longest-idle, ring-parallel, skills, got "random"',
    )
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { closedAction: { type: 'forward' } as never } }))).message,
      'settings.closedAction.destination: expected a phone number or extension, got nothing',
    )
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { requiredSkills: { billing: 11 } } }))).message,
      'settings.requiredSkills.billing: expected an integer 1-10, got 11',
    )
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { exitKey: '0' } }))).message,
      "settings.exitAction: an exit key '0' needs an exit action",
    )
    t.equal(
      (await err(t, store.queues.update(q.id, { settings: { announceWait: 'yes' as never } }))).storeCode,
      'INVALID',
    )
    t.same((await store.queues.get(q.id)).overrides, { ringTimeSec: 15 }, 'nothing saved by failed updates')

    clock.advance(1000)
    const u = await store.queues.update(q.id, {
      name: 'Support SE',
      settings: {
        ringTimeSec: null,
        exitKey: '0',
        exitAction: { type: 'forward', destination: '+46812345' },
        confirmOn: ['mobile', 'deskphone'],
      },
    })
    t.equal(u.settings.ringTimeSec, DEFAULT_QUEUE_SETTINGS.ringTimeSec, 'null resets a setting to its default')
    t.same(u.settings.exitAction, { type: 'forward', destination: '+46812345' })
    t.same(u.overrides, {
      exitKey: '0',
      exitAction: { type: 'forward', destination: '+46812345' },
      confirmOn: ['mobile', 'deskphone'],
    })
    t.equal(u.updatedAt, q.createdAt + 1000)

    // the default object is never shared with a record
    u.settings.confirmOn.push('softphone')
    t.same(DEFAULT_QUEUE_SETTINGS.confirmOn, ['mobile'])

    const other = await store.queues.create({ number: '5001', name: 'Sales', tags: ['sales'] })
    t.equal((await err(t, store.queues.update(other.id, { number: '5000' }))).storeCode, 'DUPLICATE')
    t.same(
      (await store.queues.listByTag('default', 'support')).map((x) => x.number),
      ['5000'],
    )
    t.same((await store.queues.getByNumber('default', '5001'))?.id, other.id)

    const schedule = {
      timeZone: 'Europe/Stockholm',
      rules: [
        {
          id: 'wd',
          kind: 'open' as const,
          rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
          start: '08:00',
          durationMinutes: 540,
        },
      ],
      calendarIds: ['se'],
    }
    t.same((await store.queues.update(other.id, { schedule })).schedule, schedule)
    t.equal((await err(t, store.queues.update(other.id, { schedule: 'always' as never }))).field, 'schedule')
    t.same(validateQueueSettings({ maxWaitSec: 600 }), { maxWaitSec: 600 })
  })

  t.test(`${b.name}: agents: extension and SIP user unique per tenant; plan, devices, skills validated`, async (t) => {
    const { store } = await open(t, b)
    const a = await store.agents.create({ id: 'anna', extension: '1001', name: 'Anna', plan: 'pro' })
    t.same(a.devices, [{ type: 'softphone', target: '1001' }], 'default device: a softphone on the SIP user')
    t.equal(a.sipUser, '1001')
    t.equal((await store.agents.getBySipUser('default', '1001'))?.id, 'anna')
    let e = await err(t, store.agents.create({ extension: '1001', name: 'Other', plan: 'pro' }))
    t.equal(e.message, 'agent extension 1001 already exists in tenant default')
    e = await err(t, store.agents.create({ extension: '1002', name: 'Other', plan: 'pro', sipUser: '1001' }))
    t.equal(e.storeCode, 'DUPLICATE')
    t.equal(e.field, 'agent.sipUser')
    t.equal(
      (await err(t, store.agents.create({ extension: '1003', name: 'B', plan: 'gold' as never }))).message,
      'agent.plan: expected one of basic, pro, business, enterprise, got "gold"',
    )
    t.equal(
      (
        await err(
          t,
          store.agents.create({
            extension: '1003',
            name: 'B',
            plan: 'pro',
            devices: [{ type: 'fax' as never, target: '1' }],
          }),
        )
      ).message,
      'agent.devices[0].type: expected one of softphone, deskphone, mobile, got "fax"',
    )
    t.equal(
      (
        await err(
          t,
          store.agents.create({
            extension: '1003',
            name: 'B',
            plan: 'pro',
            devices: [{ type: 'mobile', target: 'abc' }],
          }),
        )
      ).field,
      'agent.devices[0].target',
    )
    t.equal(
      (await err(t, store.agents.create({ extension: '1003', name: 'B', plan: 'pro', activeDevice: 1 }))).message,
      'agent.activeDevice: expected an integer 0-0, got 1',
    )
    t.equal(
      (await err(t, store.agents.create({ extension: '1003', name: 'B', plan: 'pro', wrapUpSec: -1 }))).field,
      'agent.wrapUpSec',
    )

    const updated = await store.agents.update('anna', {
      devices: [
        { type: 'softphone', target: '1001' },
        { type: 'mobile', target: '+46701234567' },
      ],
      skills: { billing: 7 },
      wrapUpSec: 30,
    })
    t.equal(updated.activeDevice, 0)
    t.equal((await store.agents.setActiveDevice('anna', 1)).activeDevice, 1)
    t.equal((await err(t, store.agents.setActiveDevice('anna', 2))).field, 'agent.activeDevice')
    t.same((await store.agents.get('anna')).skills, { billing: 7 })
  })

  t.test(`${b.name}: memberships and sessions: same tenant, only members log in, removal ends sessions`, async (t) => {
    const { store, clock } = await open(t, b)
    await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    const q1 = await store.queues.create({ id: 'q1', number: '5000', name: 'Support' })
    const q2 = await store.queues.create({ id: 'q2', number: '5001', name: 'Sales' })
    const qa = await store.queues.create({ id: 'qa', tenantId: 'acme', number: '5000', name: 'Acme' })
    const a = await store.agents.create({ id: 'anna', extension: '1001', name: 'Anna', plan: 'pro' })

    t.equal((await err(t, store.sessions.login(a.id, q1.id))).message, "agent 'anna' is not a member of queue 'q1'")
    await store.memberships.add(a.id, q1.id)
    await store.memberships.add(a.id, q2.id)
    t.equal((await err(t, store.memberships.add(a.id, q1.id))).message, 'agent 1001 is already a member of queue 5000')
    t.equal((await err(t, store.memberships.add(a.id, qa.id))).storeCode, 'INVALID', 'no membership across tenants')

    const s = await store.sessions.login(a.id, q1.id)
    t.equal(s.since, clock.now())
    clock.advance(5000)
    t.equal((await store.sessions.login(a.id, q1.id)).since, s.since, 'logging in again keeps since')
    await store.sessions.setPaused(a.id, true, 'lunch')
    await store.sessions.login(a.id, q2.id)
    t.same(
      (await store.sessions.list({ agentId: a.id })).map((x) => [x.queueId, x.paused, x.pauseReason]),
      [
        ['q1', true, 'lunch'],
        ['q2', true, 'lunch'],
      ],
      'a new session inherits the pause',
    )
    await store.sessions.setPaused(a.id, false)
    t.same(
      (await store.sessions.list()).map((x) => x.paused),
      [false, false],
    )

    t.equal((await err(t, store.agents.remove(a.id))).storeCode, 'IN_USE')
    t.equal((await err(t, store.queues.remove(q1.id))).storeCode, 'IN_USE')
    await store.memberships.remove(a.id, q1.id)
    t.same(
      (await store.sessions.list()).map((x) => x.queueId),
      ['q2'],
      'revoking a membership logs out of that queue',
    )
    t.same(await store.sessions.logout(a.id), ['q2'])
    t.equal((await err(t, store.memberships.remove(a.id, q1.id))).storeCode, 'NOT_FOUND')
    await store.queues.remove(q2.id)
    t.same(await store.memberships.list(), [], 'removing a queue removes its memberships')
    t.same(
      (await store.memberships.history(a.id)).map((h) => h.until !== null),
      [true, true],
      'and closes the history intervals',
    )
  })

  t.test(`${b.name}: calls, offers, event log, EWT log`, async (t) => {
    const { store } = await open(t, b)
    const c = await store.calls.start({
      callId: 'c1',
      tenantId: 'default',
      queueId: 'q1',
      arrivedAt: 1000,
      callerNumber: '0701',
      enteredQueueAt: 3000,
    })
    t.equal(c.outcome, null)
    t.equal(
      (await err(t, store.calls.start({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: 1000 })))
        .storeCode,
      'DUPLICATE',
    )
    t.same(
      (await store.calls.inProgress()).map((x) => x.callId),
      ['c1'],
    )
    const o1 = await store.calls.addOffer({ callId: 'c1', agentId: 'a1', offeredAt: 4000, legUuid: 'leg-1' })
    await store.calls.finishOffer(o1.id, { result: 'no-answer', cause: 'NO_ANSWER', endedAt: 24000 })
    const o2 = await store.calls.addOffer({ callId: 'c1', agentId: 'a2', offeredAt: 24000 })
    await store.calls.finishOffer(o2.id, { result: 'answered', answeredAt: 30000 })
    await store.calls.update('c1', { answeredAt: 30000, agentId: 'a2' })
    const done = await store.calls.update('c1', { endedAt: 90000, outcome: 'answered' })
    t.equal(done.waitMs, 27000)
    t.equal(done.talkMs, 60000)
    t.same(
      (await store.calls.offersForCall('c1')).map((o) => [o.agentId, o.result]),
      [
        ['a1', 'no-answer'],
        ['a2', 'answered'],
      ],
    )
    t.equal((await err(t, store.calls.update('c1', { outcome: 'lost' as never }))).field, 'call.outcome')
    t.same(await store.calls.inProgress(), [])
    t.same(
      (await store.calls.list({ queueId: 'q1' })).map((x) => x.callId),
      ['c1'],
    )

    const id = await store.events.append({
      at: 1000,
      callId: 'c1',
      queueId: 'q1',
      event: 'ENTERQUEUE',
      data: { position: 1 },
    })
    await store.events.appendMany([{ at: 30000, callId: 'c1', queueId: 'q1', agentId: 'a2', event: 'CONNECT' }])
    t.same(
      (await store.events.list({ afterId: id })).map((e) => e.event),
      ['CONNECT'],
    )
    t.same((await store.events.list({ callId: 'c1' }))[0].data, { position: 1 })
    t.equal((await err(t, store.events.append({ at: 1, event: 'bad event' }))).field, 'event.event')
    await store.events.append({ at: 40000, agentId: 'a2', event: 'AGENTLOGOFF', data: { reason: 'auto-logout' } })
    await store.events.append({ at: 50000, agentId: 'a1', event: 'AGENTLOGOFF' })
    t.same((await store.events.last({ agentId: 'a2', event: 'AGENTLOGOFF' }))?.data, { reason: 'auto-logout' })
    t.equal(await store.events.last({ agentId: 'a3' }), undefined)

    await store.ewt.record({ callId: 'c1', queueId: 'q1', at: 3000, position: 2, announcedSeconds: 60 })
    await store.ewt.record({ callId: 'c1', queueId: 'q1', at: 13000, position: 1, announcedSeconds: null })
    t.equal(await store.ewt.resolve('c1', 30000), 2)
    t.same(
      (await store.ewt.forCall('c1')).map((e) => e.actualWaitMs),
      [27000, 17000],
    )
  })

  t.test(`${b.name}: calendars, closures, prompts, audit`, async (t) => {
    const { store, clock } = await open(t, b)
    const q1 = await store.queues.create({ id: 'q1', number: '5000', name: 'Support', tags: ['support'] })
    const q2 = await store.queues.create({ id: 'q2', number: '5001', name: 'Support 2', tags: ['support'] })
    await store.queues.create({ id: 'q3', number: '5002', name: 'Sales' })

    const cal = await store.holidayCalendars.create({
      id: 'se',
      name: 'Sverige',
      country: 'SE',
      customDates: [{ date: '2026-12-23', name: 'Lillejulafton', closed: true }],
    })
    t.equal(cal.country, 'SE')
    t.equal((await err(t, store.holidayCalendars.create({ name: 'Sverige', customDates: [] }))).storeCode, 'DUPLICATE')
    await store.queues.update(q1.id, { schedule: { timeZone: 'Europe/Stockholm', rules: [], calendarIds: ['se'] } })
    const inUse = await err(t, store.holidayCalendars.remove('se'))
    t.equal(inUse.storeCode, 'IN_USE')
    t.match(inUse.message, /used by queue\(s\) 5000/)
    t.same((await store.holidayCalendars.update('se', { customDates: [] })).customDates, [])

    const now = clock.now()
    const c = await store.closures.create({
      scope: { kind: 'tag', tag: 'support' },
      until: now + 3600_000,
      reason: 'Staff meeting',
      by: 'operator:eva',
    })
    t.same(c.queueIds, [q1.id, q2.id])
    t.equal(c.from, now)
    const all = await store.closures.create({
      scope: { kind: 'tenant' },
      from: now + 86400_000,
      reason: 'Move',
      by: 'eva',
      messagePrompt: 'moving',
    })
    t.same(all.queueIds, ['q1', 'q2', 'q3'])
    t.equal(
      (await err(t, store.closures.create({ scope: { kind: 'tag', tag: 'none' }, reason: 'x', by: 'eva' }))).message,
      'closure.scope: selects no queue in tenant default',
    )
    t.equal(
      (await err(t, store.closures.create({ scope: { kind: 'queues', queueIds: ['q9'] }, reason: 'x', by: 'eva' })))
        .storeCode,
      'NOT_FOUND',
    )
    t.equal(
      (
        await err(
          t,
          store.closures.create({ scope: { kind: 'tenant' }, from: now, until: now, reason: 'x', by: 'eva' }),
        )
      ).field,
      'closure.until',
    )
    t.same(
      (await store.closures.active(now)).map((x) => x.id),
      [c.id, all.id],
    )
    await store.closures.reopen(c.id, 'eva', now + 60_000)
    t.same(
      (await store.closures.active(now + 60_000)).map((x) => x.id),
      [all.id],
    )
    t.equal((await store.closures.get(c.id)).reopenedBy, 'eva')
    t.same(
      (await store.closures.active(now + 10 * 86400_000)).map((x) => x.id),
      [all.id],
      'open-ended closure stays active',
    )

    const p = await store.prompts.put({
      tenantId: 'default',
      queueId: q1.id,
      language: 'sv',
      name: 'welcome',
      path: '/data/a.wav',
    })
    t.equal(p.replacedPath, null)
    const p2 = await store.prompts.put({
      tenantId: 'default',
      queueId: q1.id,
      language: 'sv',
      name: 'welcome',
      path: '/data/b.wav',
    })
    t.equal(p2.replacedPath, '/data/a.wav')
    await store.prompts.put({ tenantId: 'default', language: 'sv', name: 'welcome', path: '/data/tenant.wav' })
    t.equal((await store.prompts.resolve('default', q1.id, 'sv', 'welcome'))?.path, '/data/b.wav')
    t.equal((await store.prompts.resolve('default', q2.id, 'sv', 'welcome'))?.path, '/data/tenant.wav')
    t.equal(await store.prompts.resolve('default', q2.id, 'en', 'welcome'), undefined)
    t.equal((await store.prompts.list()).length, 2)

    await store.audit.record({
      actor: 'operator:eva',
      tenantId: 'default',
      action: 'close',
      entity: 'closure',
      entityId: c.id,
      detail: { queues: 2 },
    })
    t.same(
      (await store.audit.list({ entity: 'closure' })).map((a) => [a.actor, a.detail]),
      [['operator:eva', { queues: 2 }]],
    )
  })

  t.test(`${b.name}: accounts, tokens and sessions never store a secret`, async (t) => {
    const { store, clock } = await open(t, b)
    await store.agents.create({ id: 'anna', extension: '1001', name: 'Anna', plan: 'pro' })
    const op = await store.accounts.create({ username: 'eva', password: 'correct horse', role: 'operator' })
    const ag = await store.accounts.create({
      username: 'anna',
      password: 'battery staple',
      role: 'agent',
      agentId: 'anna',
    })
    t.equal(ag.tenantId, 'default', 'an agent account takes its agent tenant')
    t.equal(
      (await err(t, store.accounts.create({ username: 'eva', password: 'whatever123', role: 'operator' }))).storeCode,
      'DUPLICATE',
    )
    t.equal(
      (await err(t, store.accounts.create({ username: 'adm', password: 'whatever123', role: 'tenant-admin' }))).field,
      'account.tenantId',
    )
    t.equal(
      (await err(t, store.accounts.create({ username: 'x1', password: 'short', role: 'operator' }))).field,
      'account.password',
    )
    t.equal((await store.accounts.authenticate('eva', 'correct horse'))?.id, op.id)
    t.equal(await store.accounts.authenticate('eva', 'wrong'), undefined)
    t.equal(await store.accounts.authenticate('nobody', 'correct horse'), undefined)

    const { token } = await store.accounts.createToken(op.id, 'cli', clock.now() + 1000)
    t.equal((await store.accounts.verifyToken(token))?.username, 'eva')
    t.equal(await store.accounts.verifyToken(token + 'x'), undefined)
    clock.advance(1000)
    t.equal(await store.accounts.verifyToken(token), undefined, 'expired')

    const s = await store.accounts.createSession(ag.id, 60_000)
    t.equal((await store.accounts.getSession(s.sessionId))?.account.username, 'anna')
    t.equal((await store.accounts.getSession(s.sessionId))?.csrfToken, s.csrfToken)

    const dump =
      JSON.stringify(await store.db.all('SELECT * FROM accounts')) +
      JSON.stringify(await store.db.all('SELECT * FROM api_tokens')) +
      JSON.stringify(await store.db.all('SELECT * FROM web_sessions'))
    for (const secret of ['correct horse', 'battery staple', token, s.sessionId])
      t.notOk(dump.includes(secret), 'secret not stored')
    const hash = (await store.db.get<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE id = ?', [
      op.id,
    ]))!.password_hash
    t.ok(verifyPassword('correct horse', hash))
    clock.advance(60_000)
    t.equal(await store.accounts.getSession(s.sessionId), undefined)
    t.equal(await store.accounts.purgeSessions(), 1)
  })

  t.test(`${b.name}: tx rolls back every write of a failed transaction`, async (t) => {
    const { store } = await open(t, b)
    const e = await err(
      t,
      store.tx(async (s) => {
        await s.queues.create({ number: '6000', name: 'A' })
        await s.queues.create({ number: '6000', name: 'B' })
      }),
    )
    t.equal(e.storeCode, 'DUPLICATE')
    t.same(await store.queues.list(), [], 'the first create was rolled back with the second')
    t.equal((await store.tx((s) => s.queues.create({ number: '6000', name: 'A' }))).number, '6000')
  })
}
