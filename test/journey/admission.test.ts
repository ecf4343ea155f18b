import t from 'tap'
import { admit, updateOverflow, NOT_OVERFLOWING, type QueueLoad } from '../../src/core/journey/admission.js'
import { DEFAULT_QUEUE_SETTINGS, type Queue, type QueueSettings } from '../../src/core/model.js'

const queue = (s: Partial<QueueSettings> = {}): Queue => ({
  id: 'q1',
  tenantId: 't',
  number: '5000',
  name: 'Support',
  tags: [],
  settings: { ...DEFAULT_QUEUE_SETTINGS, ...s },
})
const load = (l: Partial<QueueLoad> = {}): QueueLoad => ({ waiting: 0, longestWaitSec: 0, agentsLoggedIn: 2, ...l })
const OPEN = { open: true, reason: 'open: rule Weekdays' }

t.test('an open queue with agents lets the caller in', async (t) => {
  t.same(admit(queue(), OPEN, load(), NOT_OVERFLOWING), { kind: 'enter' })
})

t.test('closed: the closing message and the closed action; a closure message wins', async (t) => {
  const q = queue({ closedAction: { type: 'forward', destination: '0701234567' } })
  t.same(admit(q, { open: false, reason: 'closed: holiday Juldagen' }, load(), NOT_OVERFLOWING), {
    kind: 'closed',
    prompt: 'closed',
    action: { type: 'forward', destination: '0701234567' },
    reason: 'closed: holiday Juldagen',
  })
  const r = admit(q, { open: false, reason: 'closure', prompt: '/p/storm.wav' }, load(), NOT_OVERFLOWING)
  t.equal(r.kind === 'closed' && r.prompt, '/p/storm.wav')
})

t.test('closed wins over overflow and no agents', async (t) => {
  const r = admit(
    queue({ noAgentsAction: { type: 'busy' } }),
    { open: false, reason: 'x' },
    load({ agentsLoggedIn: 0 }),
    {
      overflowing: true,
    },
  )
  t.equal(r.kind, 'closed')
})

t.test('no agents logged in: only when the queue has a no-agents action', async (t) => {
  t.same(admit(queue(), OPEN, load({ agentsLoggedIn: 0 }), NOT_OVERFLOWING), { kind: 'enter' })
  const r = admit(
    queue({ noAgentsAction: { type: 'forward', destination: '123' } }),
    OPEN,
    load({ agentsLoggedIn: 0 }),
    NOT_OVERFLOWING,
  )
  t.equal(r.kind, 'no-agents')
  t.same(r.kind === 'no-agents' && r.action, { type: 'forward', destination: '123' })
})

t.test('overflow by length closes at X waiting and reopens below the reopen ratio (hysteresis)', async (t) => {
  const s = { ...DEFAULT_QUEUE_SETTINGS, overflowMaxCallers: 10, overflowReopenRatio: 0.8 }
  let st = updateOverflow(s, load({ waiting: 9 }), NOT_OVERFLOWING, 1000)
  t.notOk(st.overflowing, '9 waiting: open')
  st = updateOverflow(s, load({ waiting: 10 }), st, 2000)
  t.ok(st.overflowing, '10 waiting: closed to new callers')
  t.equal(st.since, 2000)
  t.match(st.reason, /10 callers waiting \(limit 10\)/)
  st = updateOverflow(s, load({ waiting: 9 }), st, 3000)
  t.ok(st.overflowing, '9 waiting: still closed (no flapping)')
  st = updateOverflow(s, load({ waiting: 8 }), st, 4000)
  t.ok(st.overflowing, '8 = 0.8 x 10: still closed')
  st = updateOverflow(s, load({ waiting: 7 }), st, 5000)
  t.notOk(st.overflowing, '7 waiting: reopened')
  t.equal(admit({ ...queue(), settings: s }, OPEN, load(), { overflowing: true, reason: 'r' }).kind, 'overflow')
})

t.test('overflow by longest wait and by estimated wait', async (t) => {
  const s = { ...DEFAULT_QUEUE_SETTINGS, overflowMaxWaitSec: 300, overflowMaxEstimatedWaitSec: 600 }
  t.ok(updateOverflow(s, load({ longestWaitSec: 300 }), NOT_OVERFLOWING, 0).overflowing)
  t.notOk(updateOverflow(s, load({ longestWaitSec: 299 }), NOT_OVERFLOWING, 0).overflowing)
  const byEst = updateOverflow(s, load({ estimatedWaitSec: 650 }), NOT_OVERFLOWING, 0)
  t.ok(byEst.overflowing)
  t.match(byEst.reason, /estimated wait 650 s/)
  t.notOk(
    updateOverflow(s, load({ estimatedWaitSec: undefined }), NOT_OVERFLOWING, 0).overflowing,
    'no basis: no overflow',
  )
  t.notOk(updateOverflow(s, load({ longestWaitSec: 200 }), byEst, 1).overflowing, 'reopens when all below 80 %')
})

t.test('no thresholds set: never overflows', async (t) => {
  t.notOk(
    updateOverflow(
      DEFAULT_QUEUE_SETTINGS,
      load({ waiting: 1e6, longestWaitSec: 1e6, estimatedWaitSec: 1e6 }),
      NOT_OVERFLOWING,
      0,
    ).overflowing,
  )
})
