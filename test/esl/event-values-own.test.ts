/**
 * A header value kept after its event does not keep the event's text alive (own-string.ts). The decoders cut values
 * out of the text; V8 makes a cut of 13 characters or more a view holding the whole text, so the daemon, keeping a
 * caller's uuid, number and queue, kept the caller's whole CHANNEL_PARK (~2.7 KB per waiting caller, heap snapshot at
 * 10,000 waiting: bench/scale-daemon). Here: 1,000 CHANNEL_PARKs of the captures (json and plain), each with a uuid
 * of its own, decoded; only the values the adapter keeps of a caller are held; after a full collection the heap
 * holds far less than the texts.
 */
import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { EslParser, type EslFrame } from '../../src/freeswitch/esl/parser.js'
import { eventFromFrame } from '../../src/freeswitch/esl/event.js'
import { ownString } from '../../src/freeswitch/esl/own-string.js'
import { readRx } from '../fixtures/esl/captures.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const N = 1000

function parkFrame(capture: string): EslFrame {
  const frames = new EslParser().push(readRx(capture))
  const park = frames.find((f) => f.body?.includes('CHANNEL_PARK') && f.body.includes('koplus_queue'))
  if (!park) throw new Error(`no queue CHANNEL_PARK in ${capture}`)
  return park
}

/** The frame with its Unique-ID (and every other mention of it) replaced by a uuid of number i. */
function variant(frame: EslFrame, uuid: string, i: number): EslFrame {
  const mine = `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`
  const body = Buffer.from(frame.body!.toString('utf8').split(uuid).join(mine), 'utf8')
  return { headers: { ...frame.headers, 'Content-Length': String(body.length) }, body }
}

function heapAfterGc(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

for (const format of ['json', 'plain'] as const) {
  t.test(`${format}: values kept from 1,000 CHANNEL_PARKs do not keep their texts`, (t) => {
    const frame = parkFrame(`inbound-queue-call.${format}`)
    const first = eventFromFrame(frame)!
    const uuid = first.uuid!
    t.equal(uuid.length, 36, 'the capture has a uuid')
    const textBytes = frame.body!.length
    const kept: string[] = []
    const before = heapAfterGc()
    for (let i = 0; i < N; i++) {
      // The frame and the event are dropped: only the values are kept.
      const ev = eventFromFrame(variant(frame, uuid, i))!
      kept.push(
        ev.uuid!,
        ev.variable('koplus_queue') ?? '',
        ev.get('Caller-Caller-ID-Number') ?? '',
        ev.get('Caller-Caller-ID-Name') ?? '',
        ev.get('Channel-Name') ?? '',
      )
    }
    const perEvent = (heapAfterGc() - before) / N
    t.equal(kept.length, 5 * N, 'every value kept')
    t.equal(kept[0], '00000000-0000-4000-8000-000000000000', 'the values are the events’ values')
    t.ok(
      perEvent < textBytes / 4,
      `heap per event kept ${perEvent.toFixed(0)} B, under a quarter of the event's ${textBytes} B of text`,
    )
    t.end()
  })
}

t.test('json: a decoded event holds its text, not a copy of every header', (t) => {
  // json-event.ts finds a header in the text when it is read; cutting every name and value at decode time cost
  // ~300 strings per event (the daemon's main garbage at 10,000 waiting callers).
  const frame = parkFrame('inbound-queue-call.json')
  const uuid = eventFromFrame(frame)!.uuid!
  const textBytes = frame.body!.length
  const frames = Array.from({ length: N }, (_, i) => variant(frame, uuid, i))
  const before = heapAfterGc()
  const events = frames.map((f) => eventFromFrame(f)!)
  const perEvent = (heapAfterGc() - before) / N
  t.equal(events[N - 1].uuid, `${(N - 1).toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`)
  t.equal(events[0].variable('koplus_queue'), eventFromFrame(frame)!.variable('koplus_queue'))
  t.ok(perEvent < 2 * textBytes, `${perEvent.toFixed(0)} B per event kept, under twice its ${textBytes} B of text`)
  t.end()
})

t.test('ownString: the same characters; short strings as they are', (t) => {
  const text = 'x'.repeat(100) + '6f1c2a8e-4b7d-4e0a-9c3b-5d2e8f71a604'
  const cut = text.slice(100)
  t.equal(ownString(cut), cut)
  t.equal(ownString('short'), 'short')
  t.equal(ownString(''), '')
  t.end()
})
