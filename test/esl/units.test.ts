/** The small modules: CommandsQueue, backoffDelay, Subscriptions, BackgroundJobs, errors. */
import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { CommandsQueue } from '../../src/freeswitch/esl/commands-queue.js'
import { backoffDelay } from '../../src/freeswitch/esl/backoff.js'
import { Subscriptions } from '../../src/freeswitch/esl/subscriptions.js'
import { BackgroundJobs } from '../../src/freeswitch/esl/background-jobs.js'
import { makeEvent } from '../../src/freeswitch/esl/event.js'
import * as errors from '../../src/freeswitch/esl/errors.js'

t.test('CommandsQueue: FIFO; a timed-out slot swallows its late reply; flush rejects all', async (t) => {
  const clock = new VirtualClock()
  const q = new CommandsQueue(clock)
  const a = q.add('api a', 100)
  const b = q.add('api b', 0)
  clock.advance(100)
  await t.rejects(a, { code: 'KOPLUS_ESL_COMMAND_TIMEOUT', command: 'api a', timeoutMs: 100 })
  t.equal(q.length, 2, 'the timed-out command keeps its place')
  t.equal(q.resolveNext({ headers: { n: 'late a' } }), true)
  t.equal(q.resolveNext({ headers: { n: 'b' } }), true)
  t.same((await b).headers, { n: 'b' })
  t.equal(q.resolveNext({ headers: {} }), false, 'unsolicited reply')
  const c = q.add('api c', 100)
  const d = q.add('api d', undefined)
  q.flush(new errors.EslDisconnectedError())
  await t.rejects(c, { code: 'KOPLUS_ESL_DISCONNECTED' })
  await t.rejects(d, { code: 'KOPLUS_ESL_DISCONNECTED' })
  t.equal(clock.pendingCount, 0, 'timers cleared')
  // many commands: the array is compacted, order kept
  const ps: Array<Promise<unknown>> = []
  for (let i = 0; i < 5000; i++) ps.push(q.add(`api ${i}`, undefined))
  for (let i = 0; i < 5000; i++) q.resolveNext({ headers: { i: String(i) } })
  const got = (await Promise.all(ps)) as Array<{ headers: { i: string } }>
  t.ok(got.every((f, i) => f.headers.i === String(i)))
})

t.test('backoffDelay: x factor, capped, jittered', async (t) => {
  const mid = () => 0.5
  t.same(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, {}, mid)),
    [250, 500, 1000, 2000, 4000, 8000, 10000, 10000],
  )
  t.equal(
    backoffDelay(1, {}, () => 0),
    200,
  )
  t.equal(
    backoffDelay(1, {}, () => 0.999999),
    300,
  )
  t.equal(backoffDelay(3, { initialMs: 100, factor: 3, maxMs: 1e6, jitter: 0 }, Math.random), 900)
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(20)
    t.ok(d >= 8000 && d <= 12000)
  }
})

t.test('Subscriptions: event line, CUSTOM last, ALL wins, filters deduplicated', async (t) => {
  const s = new Subscriptions(['CHANNEL_PARK', 'CUSTOM sofia::register'])
  s.add(['callcenter::info', 'channel_hangup_complete'])
  const words = s.eventCommand('json').split(' ')
  t.same(words.slice(0, 3), ['event', 'json', 'CHANNEL_PARK'])
  t.same(words.slice(-3), ['CUSTOM', 'sofia::register', 'callcenter::info'])
  t.ok(words.includes('CHANNEL_HANGUP_COMPLETE'))
  t.ok(words.includes('BACKGROUND_JOB'))
  t.equal(new Subscriptions().eventCommand('plain'), 'event plain ALL')
  const c = new Subscriptions(['CUSTOM'])
  t.match(c.eventCommand('json'), / CUSTOM$/)
  t.equal(s.addFilter('Unique-ID', 'x'), true)
  t.equal(s.addFilter('Unique-ID', 'x'), false)
  t.same(s.filterCommands(), ['filter Unique-ID x'])
})

t.test('BackgroundJobs: settles by Job-UUID; ok unless -ERR/-USAGE; timeout; flush', async (t) => {
  const clock = new VirtualClock()
  const jobs = new BackgroundJobs(clock)
  const a = jobs.register('j1', 'bgapi status')
  const b = jobs.register('j2', 'bgapi originate', 50)
  const ev = (job: string, body: string) => makeEvent({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': job }, body)
  t.equal(jobs.onEvent(ev('nobody', '+OK')), false)
  t.equal(jobs.onEvent(makeEvent({ 'Event-Name': 'CHANNEL_PARK', 'Job-UUID': 'j1' })), false)
  t.equal(jobs.onEvent(ev('j1', 'UP 0 years\n')), true)
  t.same(await a, { ok: true, body: 'UP 0 years\n', jobUuid: 'j1' })
  clock.advance(50)
  await t.rejects(b, { code: 'KOPLUS_ESL_COMMAND_TIMEOUT' })
  const c = jobs.register('j3', 'bgapi x')
  t.equal(jobs.onEvent(ev('j3', '-USAGE: <uuid>\n')), true)
  t.equal((await c).ok, false)
  const d = jobs.register('j4', 'bgapi x')
  jobs.flush(new errors.EslDisconnectedError())
  await t.rejects(d, { code: 'KOPLUS_ESL_DISCONNECTED' })
  t.equal(jobs.size, 0)
})

t.test('errors: classes, stable codes, names', async (t) => {
  const list: Array<[errors.EslError, string, string]> = [
    [new errors.EslAuthError('h:1'), 'KOPLUS_ESL_AUTH_FAILED', 'EslAuthError'],
    [
      new errors.EslConnectError('ESL_CONNECT_REFUSED', 'h:1', 'connection refused'),
      'KOPLUS_ESL_CONNECT_REFUSED',
      'EslConnectError',
    ],
    [new errors.EslTimeoutError('api x', 5), 'KOPLUS_ESL_COMMAND_TIMEOUT', 'EslTimeoutError'],
    [new errors.EslDisconnectedError(), 'KOPLUS_ESL_DISCONNECTED', 'EslDisconnectedError'],
    [new errors.EslChannelGoneError('u', 'NORMAL_CLEARING'), 'KOPLUS_ESL_CHANNEL_GONE', 'EslChannelGoneError'],
    [
      new errors.EslRudeRejectionError('h:1', 'Access Denied, go away.\n'),
      'KOPLUS_ESL_RUDE_REJECTION',
      'EslRudeRejectionError',
    ],
    [new errors.EslCommandError('api x', '-ERR no'), 'KOPLUS_ESL_COMMAND_FAILED', 'EslCommandError'],
  ]
  for (const [e, code, name] of list) {
    t.type(e, errors.EslError)
    t.type(e, Error)
    t.equal(e.code, code)
    t.equal(e.eslCode, code.slice('KOPLUS_'.length), 'eslCode: the code without its prefix')
    t.equal(e.name, name)
  }
  t.match(list[1][0].message, 'h:1')
})
