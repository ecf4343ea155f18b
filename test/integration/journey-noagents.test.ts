/**
 * Issue 4 "Proof", no agents (D5): a queue with no agent logged in forwards at entry (message as early media, not
 * answered); callers already waiting get the no-agents message and action after the grace period once the last
 * agent has logged out — and not if an agent logs in again within it.
 */
import t from 'tap'
import { files, heardOf, sound, startJourney } from '../helpers/journey-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const FORWARD_TO = '0709990000'
const sv = (id: string) => sound('sv', id)
const GRACE_SEC = 1

t.test('no agent logged in: forwarded at entry after the no-agents message', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        settings: { welcomePrompt: 'welcome', noAgentsAction: { type: 'forward', destination: FORWARD_TO } },
      },
    ],
    agents: [{ extension: '1001', member: ['5000'] }],
  })
  const call = j.sim.placeCall({ to: '5000', from: '0704000001' })
  await time.run(j.sim.waitFor(() => call.channel.profile.destination === FORWARD_TO, 5000, 'forwarded'))
  t.same(files(call), [sv('no-agents')], 'the no-agents message only (no welcome: the caller never enters)')
  const msg = heardOf(call, sv('no-agents'))[0]
  t.notOk(msg.interrupted, 'in full')
  t.ok(call.channel.progressMediaAt > 0 && call.channel.progressMediaAt <= msg.startedAt, 'early media')
  t.ok(call.channel.answeredAt === 0 || call.channel.answeredAt >= msg.endedAt!, 'not answered by koplus')
  t.equal((await j.daemon.store.events.list({ callId: call.uuid, event: 'NOAGENTS' })).length, 1, 'NOAGENTS logged')
  call.hangup()
})

t.test('the last agent logs out: waiting callers are forwarded after the grace period', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        settings: { noAgentsAction: { type: 'forward', destination: FORWARD_TO }, noAgentsGraceSec: GRACE_SEC },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  const agentId = j.seeded.agents['1001']
  j.daemon.dispatch({ type: 'agent-pause', agentId, paused: true, source: 'api' })
  const c1 = j.sim.placeCall({ to: '5000', from: '0704000011' })
  const c2 = j.sim.placeCall({ to: '5000', from: '0704000012' })
  await time.run(
    j.sim.waitFor(() => [c1, c2].every((c) => c.heard().some((h) => h.file === sv('moh'))), 5000, 'both waiting'),
  )

  // Logged out and back in within the grace: nobody leaves.
  j.daemon.dispatch({ type: 'agent-logout', agentId, source: 'api' })
  j.daemon.dispatch({ type: 'agent-login', agentId, source: 'api' })
  j.daemon.dispatch({ type: 'agent-pause', agentId, paused: true, source: 'api' })
  await time.until(() => j.daemon.status().queues[0].agents.loggedIn === 1, 'logged in again')

  const loggedOutAt = time.now()
  j.daemon.dispatch({ type: 'agent-logout', agentId, source: 'api' })
  await time.run(
    j.sim.waitFor(
      () => [c1, c2].every((c) => c.channel.profile.destination === FORWARD_TO),
      (GRACE_SEC + 3) * 1000,
      'both forwarded',
    ),
  )
  for (const c of [c1, c2]) {
    const msg = heardOf(c, sv('no-agents'))[0]
    t.ok(msg, 'the caller heard the no-agents message')
    const after = msg.startedAt - loggedOutAt
    t.ok(
      after >= GRACE_SEC * 1000 - 60 && after < GRACE_SEC * 1000 + 400,
      `after the grace period (${after} ms after the logout, grace ${GRACE_SEC * 1000})`,
    )
    t.ok(
      heardOf(c, sv('moh')).every((m) => m.endedAt !== undefined && m.endedAt <= msg.startedAt),
      'the music stopped for the message',
    )
    t.notOk(msg.interrupted, 'the message in full before the forward')
    t.equal(c.channel.profile.destination, FORWARD_TO)
    c.hangup()
  }
  t.equal((await j.daemon.store.events.list({ event: 'NOAGENTS' })).length, 2, 'NOAGENTS logged for each')
})
