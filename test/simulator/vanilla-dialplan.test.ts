/**
 * The simulator's vanilla dialplan (issue 15), modelled on FreeSWITCH 1.10's conf/vanilla/dialplan/default.xml and
 * public.xml: the first matching extension wins, continue="true" extensions add their actions and go on, the
 * "global" extension sleeps 10 s while default_password is 1234, execute_extension runs another context's
 * extension in place, and a park ends the dialplan (switch_ivr_park blocks; standard_on_execute stops when the
 * state leaves CS_EXECUTE).
 */
import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import type { DialplanOptions } from '../../src/simulator/dialplan.js'

function rig(vanilla: DialplanOptions['vanilla'], globals?: Record<string, string>) {
  const clock = new VirtualClock()
  const sim = new FreeSwitchSimulator({ clock, dialplan: { vanilla, globals } })
  const apps = new Map<string, string[]>()
  sim.onEvent((ev) => {
    if (ev.name !== 'CHANNEL_EXECUTE' || !ev.uuid) return
    const name = ev.headers.find(([k]) => k === 'Application')?.[1] ?? '?'
    apps.set(ev.uuid, [...(apps.get(ev.uuid) ?? []), name])
  })
  const call = (to: string, context = 'default') => {
    const c = sim.placeCall({ to, from: '0701234567', context, sipUser: context === 'default' ? '1001' : undefined })
    return { c, ran: () => apps.get(c.uuid) ?? [] }
  }
  return { sim, clock, call }
}

const flush = () => new Promise((r) => setImmediate(r))

t.test('installed with the jump: queue 5000 parks for koplus before ivr_demo and without the 10 s sleep', async (t) => {
  const { call } = rig('jump')
  const q = call('5000')
  await flush()
  t.equal(q.c.state, 'parked')
  t.equal(q.c.variable('koplus_queue'), '5000')
  t.same(q.ran(), ['execute_extension', 'set', 'set', 'park'], 'nothing of ivr_demo or the global extension ran')

  const f = call('*715000')
  await flush()
  t.equal(f.c.variable('koplus_feature'), '*715000')
  t.equal(f.c.state, 'parked')
})

t.test('installed with the jump: other numbers fall through to the stock extensions', async (t) => {
  const { call, clock } = rig('jump')
  const echo = call('9196')
  await flush()
  t.same(
    echo.ran(),
    ['execute_extension', 'log', 'log', 'log', 'log', 'sleep'],
    'not a koplus number: on to "global" (default_password 1234)',
  )
  clock.advance(10_000)
  await flush()
  t.same(echo.ran().slice(-2), ['answer', 'echo'])
  t.equal(echo.c.variable('koplus_queue'), undefined)
})

t.test('public: queue numbers reach koplus, feature codes do not', async (t) => {
  const { call } = rig('jump')
  const q = call('5100', 'public')
  await flush()
  t.equal(q.c.variable('koplus_queue'), '5100')
  const f = call('*71', 'public')
  await flush()
  t.equal(f.c.variable('koplus_feature'), undefined)
  t.not(f.c.state, 'parked')
})

t.test('the old layout (default/00_koplus.xml): 5000 runs the demo IVR, other numbers wait 10 s first', async (t) => {
  const { call, clock } = rig('end')
  const demo = call('5000')
  await flush()
  t.same(demo.ran(), ['log', 'log', 'log', 'log', 'sleep'])
  clock.advance(10_000)
  await flush()
  t.same(demo.ran().slice(5), ['answer', 'sleep'])
  clock.advance(2_000)
  await flush()
  t.same(demo.ran().slice(5), ['answer', 'sleep', 'ivr'], 'caught by ivr_demo: answer, sleep, ivr')
  t.equal(demo.c.state, 'answered')
  t.equal(demo.c.variable('koplus_queue'), undefined)

  const other = call('5500')
  await flush()
  t.not(other.c.state, 'parked', 'still in the 10 s sleep')
  clock.advance(10_000)
  await flush()
  t.equal(other.c.state, 'parked')
  t.equal(other.c.variable('koplus_queue'), '5500')
})

t.test('a changed default_password: no sleep', async (t) => {
  const { call } = rig('end', { default_password: 's3cret-pw' })
  const q = call('5500')
  await flush()
  t.equal(q.c.state, 'parked')
  t.same(q.ran(), ['set', 'set', 'park'])
})
