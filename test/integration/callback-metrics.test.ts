/**
 * Issue 14: the callback metrics on /metrics, fed by a real daemon against the FreeSWITCH simulator (virtual clock)
 * exactly as src/api/daemon-api.ts feeds them (`onHandled` → observeEvent / observeCommands): requested, completed,
 * failed and cancelled by reason, pending per queue, time from request to connection — with HELP/TYPE lines, and
 * `promtool check metrics` finds nothing to complain about.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { KoplusMetrics } from '../../src/api/metrics.js'
import { askCallback, setup } from '../helpers/callback-fixture.js'
import { until } from '../helpers/journey-fixture.js'

const hasPromtool = spawnSync('promtool', ['--version']).status === 0
/** promtool comes with Debian's `prometheus` package; CI must have it (never skipped there). */
const noPromtool = !hasPromtool && !process.env.CI && 'promtool not installed (apt-get install prometheus)'

/** The value of one series in the exposition ('name{labels} value'), undefined when absent. */
function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('callbacks requested, completed, failed and cancelled by reason, pending, time to connection', async (t) => {
  const { j, time } = await setup(t, { callbackRetries: 0, wrapUpSec: 0 })
  const metrics = new KoplusMetrics()
  j.daemon.onHandled((event, commands, now, tookMs) => {
    metrics.observeEvent(event, now, now - tookMs)
    metrics.observeCommands(commands, now)
  })
  j.sim.endpoint(/\/0702222222$/, { reject: 'USER_BUSY', rejectAfterMs: 200 })
  const q = j.seeded.queues['5000']
  const answers = await askCallback(j, time, '0701234567')
  const busy = await askCallback(j, time, '0702222222')
  const cancelled = await askCallback(j, time, '0703333333')
  j.daemon.dispatch({ type: 'callback-cancel', callId: cancelled.uuid, source: 'cli' })
  let body = (await metrics.render()).body
  t.equal(value(body, `koplus_callbacks_requested_total{queue="${q}"}`), 3, 'three requested')
  t.equal(value(body, `koplus_queue_pending_callbacks{queue="${q}"}`), 2, 'two keep their places')
  t.equal(value(body, `koplus_callbacks_cancelled_total{queue="${q}",reason="cancelled"}`), 1, 'one cancelled')

  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
  await time.run(
    until(async () => (await j.daemon.store.callbacks.get(answers.uuid))?.state === 'completed', 20_000, 'connected'),
  )
  const cb = (await j.daemon.store.callbacks.get(answers.uuid))!
  const personLeg = (
    (await j.daemon.store.events.list({ callId: answers.uuid, event: 'CALLBACKDIAL' }))[0].data as { legId: string }
  ).legId
  j.sim.hangup(j.sim.channel(personLeg)!)
  await time.run(
    until(async () => (await j.daemon.store.callbacks.get(busy.uuid))?.state === 'failed', 20_000, 'busy: given up'),
  )
  body = (await metrics.render()).body
  t.equal(value(body, `koplus_callbacks_completed_total{queue="${q}"}`), 1, 'one completed')
  t.equal(value(body, `koplus_callbacks_failed_total{queue="${q}",reason="busy"}`), 1, 'one failed: busy')
  t.equal(value(body, `koplus_queue_pending_callbacks{queue="${q}"}`), 0, 'none pending')
  t.equal(value(body, `koplus_callback_request_to_connection_seconds_count{queue="${q}"}`), 1)
  t.equal(
    value(body, `koplus_callback_request_to_connection_seconds_sum{queue="${q}"}`),
    Math.round((cb.connectedAt! - cb.requestedAt) / 1000),
    'the time from request to connection',
  )
  for (const name of [
    'koplus_callbacks_requested_total',
    'koplus_callbacks_completed_total',
    'koplus_callbacks_failed_total',
    'koplus_callbacks_cancelled_total',
    'koplus_queue_pending_callbacks',
    'koplus_callback_request_to_connection_seconds',
  ]) {
    t.match(body, new RegExp(`^# HELP ${name} \\S`, 'm'), `${name} has HELP`)
    t.match(body, new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'), `${name} has TYPE`)
  }
  t.test('promtool check metrics: no complaint', { skip: noPromtool }, async (t) => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
    t.equal(r.status, 0, `${r.stdout}${r.stderr}`.trim() || 'clean')
  })
})
