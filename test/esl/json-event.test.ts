/**
 * The fast json event decoder (json-event.ts, issue 13): on every captured json event it must give exactly what
 * JSON.parse gives (headers, array headers flattened as ARRAY::, _body, name/subclass/uuid), and it must take the
 * fast path on all of them (else the speed-up is not real). Escapes, UTF-8 split across reads, and every shape it
 * does not read (whitespace, numbers, malformed text) fall back to JSON.parse or to undefined exactly as before.
 */
import t, { type Test } from 'tap'
import { EslParser, setHeader, type EslFrame } from '../../src/freeswitch/esl/parser.js'
import { eventFromFrame, type EslEvent } from '../../src/freeswitch/esl/event.js'
import { scanJsonEvent, ScannedJsonEvent } from '../../src/freeswitch/esl/json-event.js'
import { captureNames, readRx } from '../fixtures/esl/captures.js'

/** What JSON.parse makes of a FreeSWITCH json body: headers as strings (arrays as ARRAY::a|:b) and _body apart. */
function reference(text: string): { headers: Record<string, string>; body?: string } {
  const o = JSON.parse(text) as Record<string, unknown>
  const headers: Record<string, string> = {}
  let body: string | undefined
  for (const [k, v] of Object.entries(o)) {
    if (k === '_body') body = v as string
    else setHeader(headers, k, Array.isArray(v) ? 'ARRAY::' + v.map(String).join('|:') : (v as string))
  }
  return body === undefined ? { headers } : { headers, body }
}

function jsonFrame(text: string): EslFrame {
  const body = Buffer.from(text, 'utf8')
  return { headers: { 'Content-Type': 'text/event-json', 'Content-Length': String(body.length) }, body }
}

function same(t: Test, ev: EslEvent | undefined, text: string, what: string): void {
  const ref = reference(text)
  t.ok(ev, `${what}: decoded`)
  if (!ev) return
  t.same({ ...ev.headers }, ref.headers, `${what}: headers`)
  t.equal(ev.body, ref.body, `${what}: body`)
  t.equal(ev.name, ref.headers['Event-Name'] ?? '', `${what}: name`)
  t.equal(ev.subclass, ref.headers['Event-Subclass'], `${what}: subclass`)
  t.equal(ev.uuid, ref.headers['Unique-ID'], `${what}: uuid`)
  const wrong = Object.keys(ref.headers).filter((k) => ev.get(k) !== ref.headers[k])
  t.same(wrong, [], `${what}: get() of every header`)
  t.equal(ev.get('No-Such-Header'), undefined)
}

t.test('every captured json event: the same as JSON.parse, and read on the fast path', async (t) => {
  let events = 0
  let arrays = 0
  let escaped = 0
  for (const name of captureNames().filter((n) => n.endsWith('.json'))) {
    for (const f of new EslParser().push(readRx(name))) {
      if (f.headers['Content-Type'] !== 'text/event-json' || !f.body) continue
      const text = f.body.toString('utf8')
      events++
      if (text.includes('":[')) arrays++
      if (text.includes('\\')) escaped++
      const scanned = scanJsonEvent(text)
      if (!scanned) {
        t.fail(`${name}: event ${events} not read on the fast path`)
        continue
      }
      const ev = eventFromFrame(f)
      t.ok(ev instanceof ScannedJsonEvent, 'decoded by the fast path')
      const ref = reference(text)
      const wrong = Object.keys(ref.headers).filter((k) => ev?.get(k) !== ref.headers[k])
      if (wrong.length > 0 || ev?.body !== ref.body || ev?.name !== ref.headers['Event-Name'])
        t.fail(`${name}: event ${events} differs from JSON.parse in ${wrong.slice(0, 5).join(', ') || 'body/name'}`)
      if (events % 50 === 1) same(t, ev, text, `${name} #${events}`)
    }
  }
  t.ok(events > 1000, `${events} events compared`)
  t.ok(arrays > 10 && escaped > 10, `including ${arrays} with array headers and ${escaped} with escapes`)
})

t.test('escapes, unicode and arrays: the same as JSON.parse', async (t) => {
  const cases = [
    '{"Event-Name":"CUSTOM","Event-Subclass":"sofia::register","Unique-ID":"u1"}',
    '{"Event-Name":"BACKGROUND_JOB","Job-UUID":"j","_body":"+OK done\\n"}',
    '{"Event-Name":"X","q":"say \\"hi\\"","b":"back\\\\","end":"\\\\\\"","slash":"a\\/b"}',
    '{"Event-Name":"X","u":"caf\\u00e9 \\ud83d\\ude00","raw":"café 😀 Ünïcødé"}',
    '{"Event-Name":"X","variable_DP_MATCH":["lab-5000","5000"],"e":[],"x":["a\\"b","c,d]"]}',
    '{"Event-Name":"X","dup":"first","dup":"last"}',
    '{"Event-Name":"X","__proto__":"p","constructor":"c"}',
    '{"Event-Name":"X","empty":"","_body":""}',
    '{}',
  ]
  for (const text of cases) {
    t.ok(scanJsonEvent(text), `fast path: ${text.slice(0, 40)}`)
    same(t, eventFromFrame(jsonFrame(text)), text, text.slice(0, 40))
  }
  const dup = eventFromFrame(jsonFrame(cases[5]))!
  t.equal(dup.get('dup'), 'last', 'a repeated name: the last value, as JSON.parse')
  // Names are found by where they start in the text: a name that is a prefix of another, or that runs on past
  // a name's closing quote into the text after it, is not that header.
  const tricky = eventFromFrame(jsonFrame('{"Event-Name":"X","ab":"1","abc":"2","a":"3","":"4"}'))!
  t.equal(tricky.get('ab'), '1')
  t.equal(tricky.get('abc'), '2')
  t.equal(tricky.get('a'), '3')
  t.equal(tricky.get(''), '4', 'the empty name is a name')
  t.equal(tricky.get('a":"3'), undefined, 'a name with a quote is never one of the text')
  t.equal(tricky.get('ab":"1","abc'), undefined)
  t.equal(tricky.get('b'), undefined, 'the end of a name is not a name')
  t.equal(tricky.get('Event-Name\\'), undefined)
  const proto = eventFromFrame(jsonFrame(cases[6]))!
  t.equal(Object.getPrototypeOf(proto.headers), Object.prototype, '__proto__ is a header, not the prototype')
  t.equal(proto.get('__proto__'), 'p')
})

t.test('shapes the fast path does not read fall back to JSON.parse; malformed text → undefined', async (t) => {
  const fallbacks = [
    '{ "Event-Name": "X", "a": "b" }',
    '{"Event-Name":"X","n":42,"t":true}',
    '{"Event-Name":"X","o":{"k":"v"}}',
    '{"Event-Name":"X","arr":["a",1]}',
    '{"Event-Name":"X","_body":["a"]}',
    '{"Event-Name":"X","k\\u0041":"v"}',
  ]
  for (const text of fallbacks) {
    t.equal(scanJsonEvent(text), undefined, `not the fast path: ${text}`)
    const ev = eventFromFrame(jsonFrame(text))
    t.ok(ev && !(ev instanceof ScannedJsonEvent), `decoded by JSON.parse: ${text}`)
    t.equal(ev?.name, 'X')
  }
  t.equal(eventFromFrame(jsonFrame('{"Event-Name":"X","n":42}'))?.get('n'), '42', 'a number as text, as before')
  t.equal(eventFromFrame(jsonFrame('{"Event-Name":"X","o":{"k":"v"}}'))?.get('o'), '{"k":"v"}')
  for (const bad of [
    '{"Event-Name":"X"',
    '{"Event-Name":"X"}x',
    '{"Event-Name":"X",}',
    '{"a":"\\q"}',
    '{"a:"b"}',
    '',
  ]) {
    t.equal(scanJsonEvent(bad), undefined, `not read: ${JSON.stringify(bad)}`)
    t.equal(eventFromFrame(jsonFrame(bad)), undefined, `undecodable: ${JSON.stringify(bad)}`)
  }
})

t.test('a json event frame split at every byte offset decodes the same as whole', async (t) => {
  const text =
    '{"Event-Name":"CHANNEL_PARK","Unique-ID":"9f1c","Caller-Caller-ID-Name":"Zoë 😀 \\"Q\\"",' +
    '"variable_DP_MATCH":["lab-5000","5000"],"variable_x":"a\\\\b\\nc"}'
  const body = Buffer.from(text, 'utf8')
  const wire = Buffer.concat([
    Buffer.from(`Content-Length: ${body.length}\nContent-Type: text/event-json\n\n`),
    body,
    Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n'),
  ])
  const whole = new EslParser().push(wire)
  t.equal(whole.length, 2)
  const ref = eventFromFrame(whole[0])!
  t.ok(ref instanceof ScannedJsonEvent)
  same(t, ref, text, 'whole')
  const bad: number[] = []
  for (let cut = 1; cut < wire.length; cut++) {
    const p = new EslParser()
    const frames = [...p.push(wire.subarray(0, cut)), ...p.push(wire.subarray(cut))]
    const ev = frames.length === 2 ? eventFromFrame(frames[0]) : undefined
    if (!ev || JSON.stringify(ev.headers) !== JSON.stringify(ref.headers) || ev.get('variable_x') !== 'a\\b\nc')
      bad.push(cut)
  }
  t.same(bad, [], `all ${wire.length - 1} cuts decode the same`)
})
