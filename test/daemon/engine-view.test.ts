/**
 * The daemon feeds the engine one event per operator change (EngineView.changes compares the store with the last
 * configuration sent), not a reload of every table.
 */
import t from 'tap'
import { EngineView } from '../../src/daemon/engine-deps.js'
import { Store } from '../../src/store/index.js'

const NOW = Date.UTC(2026, 10, 25, 9, 0, 0)

t.test('EngineView.changes: one event per entity added, changed or removed; none when nothing changed', async (t) => {
  const store = await Store.open(':memory:')
  t.teardown(() => store.close())
  const q = await store.queues.create({ number: '5000', name: 'Support' })
  const view = new EngineView(store, { soundsDir: '/snd', recordingsDir: '/rec' })
  const cfg = await view.load()
  t.equal(cfg.soundsDir, '/snd')
  t.equal(cfg.recordingsDir, '/rec')
  t.same(cfg.schedules, { [q.id]: null }, 'schedules are part of the configuration')
  t.same(await view.changes(), [], 'nothing changed: no event')

  const cl = await store.closures.create({
    scope: { kind: 'queues', queueIds: [q.id] },
    from: NOW - 1000,
    reason: 'fire drill',
    by: 'test',
  })
  const added = await view.changes()
  t.same(
    added.map((e) => e.type),
    ['closure-added'],
    'a closure added is one event',
  )
  t.match(added[0], { closure: { id: cl.id, queueIds: [q.id], reason: 'fire drill' } })
  t.equal(view.isOpen(cfg.queues[0], NOW).open, false, 'the view answers from the same data')

  await store.closures.reopen(cl.id, 'test', NOW)
  t.same(
    (await view.changes()).map((e) => e.type),
    ['closure-changed'],
  )

  const schedule = {
    timeZone: 'Europe/Stockholm',
    rules: [{ id: 'r', kind: 'open' as const, rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 60 }],
    calendarIds: [],
  }
  await store.queues.update(q.id, { schedule })
  t.same(
    await view.changes(),
    [{ type: 'schedule-changed', queueId: q.id, schedule: (await store.queues.get(q.id)).schedule }],
    'a schedule changed is one event',
  )

  await store.queues.update(q.id, { name: 'Support 2' })
  t.same(
    (await view.changes()).map((e) => e.type),
    ['queue-changed'],
  )

  const a = await store.agents.create({ extension: '1001', name: 'Anna', plan: 'pro' })
  await store.memberships.add(a.id, q.id)
  t.same(
    (await view.changes()).map((e) => e.type),
    ['agent-added', 'membership-added'],
    'agent before its membership',
  )

  await store.prompts.put({ tenantId: q.tenantId, queueId: q.id, language: 'sv', name: 'welcome', path: '/rec/w.wav' })
  t.same(await view.changes(), [
    {
      type: 'prompt-override-set',
      override: { tenantId: q.tenantId, queueId: q.id, language: 'sv', name: 'welcome', path: '/rec/w.wav' },
    },
  ])
  t.equal(view.prompt('welcome', 'sv', cfg.queues[0]), '/rec/w.wav')

  const q2 = await store.queues.create({ number: '6000', name: 'Sales', schedule })
  t.same(
    (await view.changes()).map((e) => e.type),
    ['schedule-changed', 'queue-added'],
    'a new queue’s schedule first, so it is never open for a moment',
  )

  await store.memberships.remove(a.id, q.id)
  await store.queues.remove(q2.id)
  t.same(
    (await view.changes()).map((e) => e.type),
    ['membership-removed', 'queue-removed'],
  )
})

t.test('EngineView.promptRecorded: the one change for the engine, remembered so it is not sent again', async (t) => {
  const store = await Store.open(':memory:')
  t.teardown(() => store.close())
  const q = await store.queues.create({ number: '5000', name: 'Support' })
  const view = new EngineView(store, {})
  await view.load()
  const cmd = {
    type: 'prompt-recorded' as const,
    tenantId: q.tenantId,
    queueId: q.id,
    language: 'sv',
    name: 'closed',
    path: '/rec/c.wav',
  }
  t.same(view.promptRecorded(cmd), {
    type: 'prompt-override-set',
    override: { tenantId: q.tenantId, queueId: q.id, language: 'sv', name: 'closed', path: '/rec/c.wav' },
  })
  await store.prompts.put({ tenantId: q.tenantId, queueId: q.id, language: 'sv', name: 'closed', path: '/rec/c.wav' })
  t.same(await view.changes(), [], 'already known')
})

t.test(
  'daemon.reloadConfig after an operator change hands the engine the change alone; the engine closes the queue',
  async (t) => {
    const { startDaemon } = await import('../../src/daemon/daemon.js')
    const store = await Store.open(':memory:')
    t.teardown(() => store.close())
    const q = await store.queues.create({ number: '5000', name: 'Support' })
    const daemon = await startDaemon(
      { databasePath: ':memory:', freeswitch: { host: '127.0.0.1', port: 1, password: 'x' } },
      { store, connect: false },
    )
    t.teardown(() => daemon.stop())
    const seen: string[] = []
    daemon.onHandled((e) => seen.push(e.type))
    await daemon.reloadConfig()
    t.same(seen, [], 'nothing changed: nothing sent')
    const now = daemon.clock.now()
    await store.closures.create({
      scope: { kind: 'queues', queueIds: [q.id] },
      from: now - 1000,
      until: now + 3_600_000,
      reason: 'fire drill',
      by: 'test',
    })
    await daemon.reloadConfig()
    t.same(seen, ['closure-added'], 'one event, not a whole config')
    const cmds = daemon.dispatch({
      type: 'call-arrived',
      callId: 'c1',
      queueNumber: '5000',
      tenantDomain: 'default',
      callerNumber: '070',
      callerName: '',
    })
    t.ok(
      cmds.some((c) => c.type === 'log' && c.event === 'CLOSED'),
      'the engine decides the queue is closed',
    )
  },
)
