/**
 * GET /api/v1/status (issue 10, item 3): per queue whether it is open now and, when closed, why and until when
 * (schedule or closure), and the daemon's FreeSWITCH link — the address and error for operators only.
 * The world's clock stands at Wednesday 2026-11-25 12:00 UTC (13:00 in Europe/Stockholm).
 */
import t from 'tap'
import { call, world } from './fixture.js'

t.test('open/closed per queue, with reason and the next opening', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  // qa opens weekdays 08:00–09:00 Stockholm: closed now, opens tomorrow (Thursday) 08:00 = 07:00 UTC
  const put = await call(w.url, 'PUT', '/api/v1/queues/qa/schedule', {
    token: w.tokens.operator,
    body: {
      schedule: {
        timeZone: 'Europe/Stockholm',
        calendarIds: [],
        rules: [
          {
            id: 'morning',
            kind: 'open',
            rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
            start: '08:00',
            durationMinutes: 60,
            label: 'Mornings',
          },
        ],
      },
    },
  })
  t.equal(put.status, 200, put.text)
  // qa2 is closed by a closure until 15:00 UTC
  const cl = await call(w.url, 'POST', '/api/v1/closures', {
    token: w.tokens.operator,
    body: { tenantId: 'ta', queueIds: ['qa2'], reason: 'Staff meeting', until: Date.UTC(2026, 10, 25, 15, 0) },
  })
  t.equal(cl.status, 201, cl.text)

  const s = await call(w.url, 'GET', '/api/v1/status', { token: w.tokens.operator })
  t.equal(s.status, 200, s.text)
  const byId = new Map((s.body.queues as { queueId: string }[]).map((q) => [q.queueId, q as Record<string, unknown>]))
  t.match(byId.get('qa'), { open: false, closedReason: /^closed/, closedUntil: Date.UTC(2026, 10, 26, 7, 0) })
  t.match(byId.get('qa2'), {
    open: false,
    closedReason: /Staff meeting/,
    closedBy: { kind: 'closure', id: cl.body.id },
    closedUntil: Date.UTC(2026, 10, 25, 15, 0),
  })
  t.match(byId.get('qb'), { open: true })
  t.notOk('closedReason' in byId.get('qb')!, 'an open queue has no closed fields')
  t.notOk('freeswitch' in s.body, 'no daemon, no FreeSWITCH field')
})

t.test('the FreeSWITCH link: operators see where and why, others only whether', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  w.live.freeswitch = () => ({ address: '10.0.0.5:8021', connected: false, lastError: 'connection refused' })
  const op = await call(w.url, 'GET', '/api/v1/status', { token: w.tokens.operator })
  t.same(op.body.freeswitch, { address: '10.0.0.5:8021', connected: false, lastError: 'connection refused' })
  const admin = await call(w.url, 'GET', '/api/v1/status', { token: w.tokens.adminA })
  t.same(admin.body.freeswitch, { connected: false })
  t.same(
    admin.body.queues.map((q: { queueId: string }) => q.queueId).sort(),
    ['qa', 'qa2'],
    'still narrowed to the tenant',
  )
  const agent = await call(w.url, 'GET', '/api/v1/status', { token: w.tokens.agentA })
  t.same(agent.body.freeswitch, { connected: false })
})
