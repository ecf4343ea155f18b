/**
 * ExecutionTracker against the real captures: every `sendmsg ... call-command: execute` with an
 * Event-UUID in a capture's tx must settle with the LAST CHANNEL_EXECUTE_COMPLETE carrying that
 * Application-UUID (a `loops: -1` playback has one per round: inbound-moh-break), or be
 * rejected by the channel's hang-up if that comes first. Plus the loop rules one by one.
 */
import t from 'tap'
import { EslParser } from '../../src/freeswitch/esl/parser.js'
import { eventFromFrame, makeEvent, type EslEvent } from '../../src/freeswitch/esl/event.js'
import { ExecutionTracker, type ExecutionResult } from '../../src/freeswitch/esl/executions.js'
import { EslChannelGoneError } from '../../src/freeswitch/esl/errors.js'
import { VirtualClock } from '../../src/util/clock.js'
import { captureNames, readRx, readTx } from '../fixtures/esl/captures.js'

interface Exec {
  channel: string
  appUuid: string
  loops: number
}

function executesInTx(tx: string): Exec[] {
  const out: Exec[] = []
  for (const block of tx.split('\n\n')) {
    const lines = block.split('\n')
    if (!lines[0].startsWith('sendmsg ')) continue
    const h: Record<string, string> = {}
    for (const l of lines.slice(1)) {
      const i = l.indexOf(': ')
      if (i > 0) h[l.slice(0, i)] = l.slice(i + 2)
    }
    if (h['call-command'] !== 'execute' || !h['Event-UUID']) continue
    out.push({ channel: lines[0].slice(8), appUuid: h['Event-UUID'], loops: h['loops'] ? Number(h['loops']) : 1 })
  }
  return out
}

const microtasks = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve()
}

let loopedSeen = 0
for (const name of captureNames()) {
  const execs = executesInTx(readTx(name))
  if (execs.length === 0) continue
  t.test(name, async (t) => {
    const events = new EslParser()
      .push(readRx(name))
      .map(eventFromFrame)
      .filter((e): e is EslEvent => e !== undefined)
    const tracker = new ExecutionTracker(new VirtualClock())
    let index = -1
    const outcome = new Map<string, { at: number; result?: ExecutionResult; error?: unknown }>()
    for (const ex of execs) {
      tracker.register(ex.channel, ex.appUuid, ex.loops, `execute ${ex.appUuid}`).then(
        (result) => outcome.set(ex.appUuid, { at: index, result }),
        (error: unknown) => outcome.set(ex.appUuid, { at: index, error }),
      )
    }
    for (index = 0; index < events.length; index++) {
      tracker.onEvent(events[index])
      await microtasks()
    }
    for (const ex of execs) {
      const completes = events
        .map((e, i) => ({ e, i }))
        .filter(({ e }) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.get('Application-UUID') === ex.appUuid)
      const hangup = events.findIndex((e) => e.name === 'CHANNEL_HANGUP' && e.uuid === ex.channel)
      const got = outcome.get(ex.appUuid)
      const last = completes.at(-1)
      if (ex.loops !== 1) loopedSeen++
      if (last && (hangup === -1 || last.i < hangup)) {
        t.ok(got?.result, `${ex.appUuid} (loops ${ex.loops}) resolved`)
        t.equal(got?.result?.event, last.e, `settled with the last of its ${completes.length} EXECUTE_COMPLETE(s)`)
        t.equal(got?.result?.response, last.e.get('Application-Response'))
        t.equal(got?.at, last.i, 'settled at that event, not later')
      } else if (hangup !== -1) {
        t.type(got?.error, EslChannelGoneError, `${ex.appUuid}: the channel hung up first`)
        t.equal(got?.at, hangup)
      } else {
        t.equal(got, undefined, `${ex.appUuid}: still running when the capture ends`)
      }
    }
  })
}

t.test('the captures hold looped executions', async (t) => {
  t.ok(loopedSeen >= 6, `loops executions checked: ${loopedSeen}`)
})

// ---- the rules, on hand-made events -------------------------------------------------------------

let seq = 0
function ev(name: string, extra: Record<string, string> = {}, ms = 0): EslEvent {
  return makeEvent({
    'Event-Name': name,
    'Unique-ID': 'c',
    'Event-Date-Timestamp': String(1_795_628_000_000_000 + ms * 1000),
    'Event-Sequence': String(++seq),
    ...extra,
  })
}
const A = { 'Application-UUID': 'app' }
function round(
  n: number,
  total: number,
  startMs: number,
  endMs: number,
  stop: 'done' | 'break',
  dtmf = false,
): EslEvent[] {
  const vars = { variable_current_loop: String(n), variable_total_loops: String(total) }
  const list = [ev('CHANNEL_EXECUTE', { ...A, ...vars }, startMs), ev('PLAYBACK_START', vars, startMs)]
  if (dtmf) list.push(ev('DTMF', { 'DTMF-Digit': '*' }, endMs - 10))
  list.push(ev('PLAYBACK_STOP', { ...vars, 'Playback-Status': stop }, endMs))
  list.push(ev('CHANNEL_EXECUTE_COMPLETE', { ...A, ...vars, 'Application-Response': 'FILE PLAYED' }, endMs))
  return list
}

async function run(loops: number, events: EslEvent[]) {
  const tracker = new ExecutionTracker(new VirtualClock())
  let settledAfter = -1
  let value: ExecutionResult | undefined
  let error: unknown
  let i = -1
  tracker.register('c', 'app', loops, 'x').then(
    (v) => ((settledAfter = i), (value = v)),
    (e: unknown) => ((settledAfter = i), (error = e)),
  )
  for (i = 0; i < events.length; i++) {
    tracker.onEvent(events[i])
    await microtasks()
  }
  return { settledAfter, value, error, pending: tracker.size }
}

t.test('finite loops: final when current_loop reaches total_loops', async (t) => {
  const evs = [...round(1, 2, 0, 1000, 'done'), ...round(2, 2, 1000, 2000, 'done')]
  const r = await run(2, evs)
  t.equal(r.settledAfter, evs.length - 1)
  t.equal(r.value?.event?.variable('current_loop'), '2')
})

t.test('loops -1 ended by uuid_break: final at once', async (t) => {
  const evs = [...round(1, -1, 0, 1000, 'done'), ...round(2, -1, 1000, 1700, 'break')]
  const r = await run(-1, evs)
  t.equal(r.settledAfter, evs.length - 1)
})

t.test('loops -1, a DTMF terminator breaks one round: the loop goes on; settled by the next other event', async (t) => {
  const evs = [...round(1, -1, 0, 1000, 'break', true), ...round(2, -1, 1000, 2000, 'done')]
  const firstComplete = 4
  const r1 = await run(-1, evs)
  t.equal(r1.settledAfter, -1, 'not settled by a round that a DTMF terminator broke, nor by a full round')
  t.equal(r1.pending, 1)
  const r2 = await run(-1, [...evs, ev('CHANNEL_EXECUTE', { 'Application-UUID': 'next-app' }, 2001)])
  t.equal(r2.settledAfter, evs.length, 'settled by the next application starting')
  t.equal(r2.value?.event, evs[evs.length - 1], 'with the last round')
  t.not(r2.value?.event, evs[firstComplete])
})

t.test('a round well under 500 ms ends the loop (switch_ivr_parse_event)', async (t) => {
  const evs = [...round(1, -1, 0, 1000, 'done'), ...round(2, -1, 1000, 1400, 'done')]
  const r = await run(-1, evs)
  t.equal(r.settledAfter, evs.length - 1)
})

t.test('hang-up rejects a running execution; resolves one that had possibly ended', async (t) => {
  const r1 = await run(-1, [
    ...round(1, -1, 0, 1000, 'done').slice(0, 2),
    ev('CHANNEL_HANGUP', { 'Hangup-Cause': 'NORMAL_CLEARING' }),
  ])
  t.type(r1.error, EslChannelGoneError)
  const evs = round(1, -1, 0, 1000, 'done')
  const r2 = await run(-1, [...evs, ev('CHANNEL_HANGUP', {}, 1001)])
  t.equal(r2.value?.event, evs[evs.length - 1])
})

t.test('timeout and flush', async (t) => {
  const clock = new VirtualClock()
  const tracker = new ExecutionTracker(clock)
  const p = tracker.register('c', 'a', 1, 'execute playback', 1000)
  clock.advance(1000)
  await t.rejects(p, { code: 'KOPLUS_ESL_COMMAND_TIMEOUT' })
  const q = tracker.register('c', 'b', 1, 'execute playback')
  tracker.flush(new Error('gone'))
  await t.rejects(q, /gone/)
  t.equal(tracker.size, 0)
  t.equal(clock.pendingCount, 0)
})

t.test(
  'several executions on one channel: each settled by its own events, in any order; fail() rejects one by its id',
  async (t) => {
    const clock = new VirtualClock()
    const tracker = new ExecutionTracker(clock)
    const complete = (appUuid: string, response: string): EslEvent =>
      makeEvent({
        'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
        'Unique-ID': 'c',
        'Application-UUID': appUuid,
        'Application-Response': response,
      })
    const a = tracker.register('c', 'a', 1, 'execute a')
    t.equal(tracker.size, 1)
    const b = tracker.register('c', 'b', 1, 'execute b')
    const c = tracker.register('c', 'c', 1, 'execute c')
    const other = tracker.register('d', 'x', 1, 'execute x')
    t.equal(tracker.size, 4)
    tracker.onEvent(complete('b', 'B'))
    t.equal((await b).response, 'B', 'the middle one first')
    tracker.fail('c', 'a', new Error('-ERR no such channel'))
    await t.rejects(a, /-ERR no such channel/, 'fail() rejects that execution with the error')
    tracker.fail('c', 'a', new Error('again'))
    t.equal(tracker.size, 2, 'failing it again changes nothing')
    tracker.onEvent(complete('c', 'C'))
    t.equal((await c).response, 'C', 'the last one, alone on its channel by then')
    tracker.fail('d', 'nope', new Error('not that one'))
    t.equal(tracker.size, 1, 'fail() of an unknown execution leaves the others')
    tracker.fail('d', 'x', new Error('gone'))
    await t.rejects(other, /gone/, 'the other channel’s, failed by its own id')
    t.equal(tracker.size, 0)
  },
)
