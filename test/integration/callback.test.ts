/**
 * Issue 14 "Proof": callback that keeps the caller's place, against the FreeSWITCH simulator over TCP on a virtual
 * clock — accept the caller ID with 1, a typed number, an anonymous caller, no answer with retries, busy, closed at
 * the due time, a restart in the middle, an operator's cancel. The called-back person is a `sofia/gateway/…`
 * endpoint of the simulator (the default callback.dialString) that answers and presses 1, or not.
 */
import t from 'tap'
import { askCallback, queued, setup, sv } from '../helpers/callback-fixture.js'
import { heardOf, until } from '../helpers/journey-fixture.js'

t.test(
  'accept with 1: place kept while hung up, agent rung first, whisper, person dialled and bridged on 1',
  async (t) => {
    const { j, time } = await setup(t)
    const call = await askCallback(j, time, '0701234567')
    t.ok(heardOf(call, sv('callback-accepted')).length === 1, 'heard "thank you, you keep your place"')
    const other = j.sim.placeCall({ to: '5000', from: '0709999999' })
    await time.run(
      j.sim.waitFor(
        () => heardOf(other, sv('callback-offer')).length > 0,
        5000,
        'the second caller hears a position and the offer',
      ),
    )
    t.ok(
      heardOf(other, sv('num-2')).length > 0,
      `the second caller is number 2: the callback counts (${other
        .heard()
        .map((h) => h.file.split('/').pop())
        .join(' ')})`,
    )
    t.same(
      queued(j),
      [
        { callId: call.uuid, callback: '0701234567' },
        { callId: other.uuid, callback: undefined },
      ],
      'status: callback first, marked',
    )
    t.equal((await j.daemon.store.callbacks.get(call.uuid))?.state, 'waiting', 'stored')

    j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
    await time.run(
      j.sim.waitFor(
        () => j.sim.originates.some((o) => JSON.stringify(o).includes('sofia/gateway/default/0701234567')),
        10000,
        'the person is dialled',
      ),
    )
    const dial = j.sim.originates.find((o) => JSON.stringify(o).includes('sofia/gateway/default/0701234567'))!
    t.match(JSON.stringify(dial), /origination_caller_id_number=5000/, "the queue's number as caller ID")
    await time.run(
      until(async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'completed', 10000, 'connected'),
    )
    const cb = (await j.daemon.store.callbacks.get(call.uuid))!
    t.ok(cb.connectedAt! >= cb.requestedAt, 'time from request to connection recorded')
    t.equal((await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKCONNECTED' })).length, 1)
    const dials = await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKDIAL' })
    t.equal(dials.length, 1, 'one attempt')
    const agentLeg = (await j.daemon.store.events.list({ callId: call.uuid, event: 'RINGING' }))[0].data as {
      legId: string
    }
    const personLeg = (dials[0].data as { legId: string }).legId
    const agentHeard = j.sim.channel(agentLeg.legId)!.heard.map((h) => h.file)
    t.ok(
      agentHeard.indexOf(sv('callback-whisper')) >= 0 &&
        agentHeard.indexOf(sv('callback-whisper')) < agentHeard.indexOf(sv('moh')),
      'the agent hears the whisper, then music while the person is dialled',
    )
    t.ok(
      j.sim.channel(personLeg)!.heard.some((h) => h.file === sv('callback-greeting')),
      'the person is asked to press 1',
    )
    t.equal(j.sim.channel(agentLeg.legId)!.bridge?.uuid, personLeg, 'agent and person are bridged')
    t.equal(other.channel.hungUp, false, 'the second caller still waits')
    other.hangup()
  },
)

t.test('typed number ending with #, and an anonymous caller who must type one', async (t) => {
  const { j, time } = await setup(t)
  const typed = await askCallback(j, time, '0701234567', '0812345678')
  t.equal((await j.daemon.store.callbacks.get(typed.uuid))?.number, '0812345678', 'the typed number')
  const anon = await askCallback(j, time, 'anonymous', '0823456789')
  t.equal(heardOf(anon, sv('callback-your-number')).length, 0, 'nothing read back to an anonymous caller')
  t.equal((await j.daemon.store.callbacks.get(anon.uuid))?.number, '0823456789')
  t.same(
    queued(j).map((c) => c.callback),
    ['0812345678', '0823456789'],
    'both keep their places',
  )
})

t.test(
  'no answer: retried after callbackRetryMin, then given up with the reason; the agent is freed each time',
  async (t) => {
    const { j, time } = await setup(t, { callbackRingSec: 5 }, { neverAnswer: true })
    const call = await askCallback(j, time, '0701234567')
    j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
    await time.run(
      until(async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'failed', 200_000, 'given up'),
      'the callback given up',
      { maxMs: 300_000 },
    )
    const cb = (await j.daemon.store.callbacks.get(call.uuid))!
    t.same([cb.attempts, cb.reason], [2, 'no-answer'], 'two attempts, no answer')
    const retries = await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKRETRY' })
    const dials = await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKDIAL' })
    t.equal(retries.length, 1)
    t.ok(
      dials[1].at - retries[0].at >= 60_000,
      `second attempt ${dials[1].at - retries[0].at} ms after the first failed (1 minute)`,
    )
    t.equal(j.daemon.status().agents[0].state, 'free', 'the agent is free')
  },
)

t.test('busy: the attempt fails at once with busy', async (t) => {
  const { j, time } = await setup(t, { callbackRetries: 0 }, { reject: 'USER_BUSY', rejectAfterMs: 200 })
  const call = await askCallback(j, time, '0701234567')
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
  await time.run(
    until(async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'failed', 20_000, 'given up'),
  )
  t.equal((await j.daemon.store.callbacks.get(call.uuid))?.reason, 'busy')
  t.equal(j.daemon.status().agents[0].state, 'free', 'the agent is free at once')
})

t.test('restart in the middle: the callback is rebuilt in its place and called back after the restart', async (t) => {
  const { j, time } = await setup(t)
  const call = await askCallback(j, time, '0701234567')
  await j.restart()
  t.same(queued(j), [{ callId: call.uuid, callback: '0701234567' }], 'rebuilt from the store')
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
  await time.run(
    until(
      async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'completed',
      20_000,
      'connected after the restart',
    ),
  )
  t.equal((await j.daemon.store.events.list({ callId: call.uuid, event: 'RESTORED' })).length, 1, 'rebuilt once')
  t.equal(
    (await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKCONNECTED' })).length,
    1,
    'connected after the restart',
  )
})

t.test('an operator cancels a waiting callback', async (t) => {
  const { j, time } = await setup(t)
  const call = await askCallback(j, time, '0701234567')
  j.daemon.dispatch({ type: 'callback-cancel', callId: call.uuid, source: 'cli' })
  await j.daemon.persisted() // the step's writes are queued (store-src): read the store once they are in
  t.equal((await j.daemon.store.callbacks.get(call.uuid))?.state, 'cancelled')
  t.same(queued(j), [], 'the place is given up')
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
  t.notOk(
    j.sim.originates.some((o) => JSON.stringify(o).includes('sofia/gateway/default/')),
    'never dialled',
  )
})

t.test('closed at the due time: held until the next opening (audited), then called back', async (t) => {
  const { j, time } = await setup(t)
  const call = await askCallback(j, time, '0701234567')
  const from = time.now() + 1000
  const closure = {
    id: 'cl-cb',
    queueIds: [j.seeded.queues['5000']],
    from,
    until: from + 120_000,
    reason: 'meeting',
    by: 'test',
    createdAt: time.now(),
  }
  j.daemon.dispatch({ type: 'closure-added', closure })
  await time.run(
    until(
      async () => (await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKHELD' })).length === 1,
      5000,
      'held at the closing',
    ),
  )
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
  await time.run(
    until(
      async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'completed',
      200_000,
      'called back after the opening',
    ),
    'the callback after the opening',
    { maxMs: 300_000 },
  )
  const connected = (await j.daemon.store.callbacks.get(call.uuid))!.connectedAt!
  t.ok(
    connected >= from + 120_000,
    `connected ${connected - from} ms after the closing began (not before the opening at 120000)`,
  )
  t.equal(
    (await j.daemon.store.events.list({ callId: call.uuid, event: 'CALLBACKRESUMED' })).length,
    1,
    'resumed at the opening',
  )
})

t.test(
  'the queue deleted, or its callback switched off: the waiting callback ends as cancelled, audited',
  async (t) => {
    const { j, time } = await setup(t)
    const off = await askCallback(j, time, '0701234567')
    const queueId = j.seeded.queues['5000']
    await j.daemon.store.queues.update(queueId, { settings: { callbackKey: '' } })
    await j.daemon.reloadConfig()
    await j.daemon.persisted()
    const offRow = await j.daemon.store.callbacks.get(off.uuid)
    t.same(
      [offRow?.state, offRow?.reason],
      ['cancelled', 'callback-off'],
      'callback switched off: cancelled with the reason',
    )
    t.same(queued(j), [], 'its place is given up')

    await j.daemon.store.queues.update(queueId, { settings: { callbackKey: '1' } })
    await j.daemon.reloadConfig()
    const gone = await askCallback(j, time, '0702222222')
    j.daemon.dispatch({ type: 'agent-logout', agentId: j.seeded.agents['1001'], source: 'api' })
    await j.daemon.persisted()
    await j.daemon.store.queues.remove(queueId)
    await j.daemon.reloadConfig()
    await j.daemon.persisted()
    const goneRow = await j.daemon.store.callbacks.get(gone.uuid)
    t.same(
      [goneRow?.state, goneRow?.reason],
      ['cancelled', 'queue-deleted'],
      'queue deleted: cancelled with the reason',
    )
    const audit = await j.daemon.store.events.list({ callId: gone.uuid, event: 'CALLBACKCANCELLED' })
    t.same(
      audit.map((e) => (e.data as { reason: string; source: string }).reason),
      ['queue-deleted'],
      'in the event log',
    )
    t.equal((await j.daemon.store.calls.find(gone.uuid))?.outcome, 'callback-cancelled', 'the call record is closed')
  },
)
