/**
 * Decoding on every capture: the name read from an event's first bytes (peekEventName, used to skip events that
 * were not subscribed without decoding them) is the decoded Event-Name; the json decoder's lazy flattening of
 * array headers gives the same headers as flattening them at once; and a client that skips unwanted events
 * keeps its framing (every later reply and wanted event arrives intact).
 */
import t from 'tap'
import { EslParser, type EslFrame } from '../../src/freeswitch/esl/parser.js'
import { eventFromFrame, peekEventName, peekLeadingEventName } from '../../src/freeswitch/esl/event.js'
import { Subscriptions } from '../../src/freeswitch/esl/subscriptions.js'
import { captureNames, readRx } from '../fixtures/esl/captures.js'

function eventFrames(name: string): EslFrame[] {
  return new EslParser().push(readRx(name)).filter((f) => (f.headers['Content-Type'] ?? '').startsWith('text/event-'))
}

/** The json object of a frame with array values flattened the way plain shows them (the pre-lazy decoder). */
function eagerJson(f: EslFrame): Record<string, string> {
  const o = JSON.parse(f.body!.toString('utf8')) as Record<string, unknown>
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) {
    if (k === '_body') continue
    out[k] = typeof v === 'string' ? v : Array.isArray(v) ? 'ARRAY::' + v.map(String).join('|:') : JSON.stringify(v)
  }
  return out
}

t.test('peekEventName reads the decoded Event-Name of every captured event', async (t) => {
  let peeked = 0
  let total = 0
  const decodedInstead = new Set<string>()
  for (const name of captureNames()) {
    for (const f of eventFrames(name)) {
      total++
      const ev = eventFromFrame(f)!
      const p = peekEventName(f)
      if (p !== undefined) {
        peeked++
        if (p !== ev.name) t.fail(`${name}: peeked ${p}, decoded ${ev.name}`)
      } else decodedInstead.add(ev.name)
    }
  }
  t.ok(total > 3000, `${total} events in the captures`)
  // FreeSWITCH writes Event-Name first except in CUSTOM events (Event-Subclass first) and PRIVATE_COMMAND (the
  // sendmsg's headers first): those are found further in, so no captured event needs a decode for its name.
  t.equal(peeked, total, `${peeked} of ${total} named without decoding`)
  t.same([...decodedInstead], [], 'CUSTOM and PRIVATE_COMMAND included')
})

t.test(
  'peekEventName finds the name anywhere in the header block, and falls back (undefined) where it cannot read it',
  async (t) => {
    const frame = (type: string, body: string): EslFrame => ({
      headers: { 'Content-Type': type },
      body: Buffer.from(body),
    })
    t.equal(peekEventName(frame('text/event-json', '{"Core-UUID":"x","Event-Name":"API"}')), 'API', 'json: not first')
    t.equal(peekEventName(frame('text/event-plain', 'Core-UUID: x\nEvent-Name: API\n\n')), 'API', 'plain: not first')
    t.equal(
      peekEventName(frame('text/event-plain', 'Core-UUID: x\nContent-Length: 16\n\n\nEvent-Name: API\n')),
      undefined,
      'plain: only in the inner body',
    )
    t.equal(peekEventName(frame('text/event-json', '{"Event-Name":7}')), undefined, 'json: not a string')
    t.equal(peekEventName(frame('text/event-plain', 'Event-Name:API\n')), undefined, 'plain: no space after the colon')
    t.equal(
      peekEventName(
        frame('text/event-json', '{"Core-UUID":"x","v":"\\",\\"Event-Name\\":\\"FAKE","Event-Name":"API"}'),
      ),
      'API',
      'json: an escaped look-alike inside a value is not a key',
    )
    t.equal(peekEventName(frame('text/event-json', '{"Event-Name":"A\\u0042"}')), undefined, 'escaped name')
    t.equal(peekEventName(frame('text/event-plain', 'Event-Name: CHANNEL%5FPARK\n')), undefined, 'url-encoded name')
    t.equal(peekEventName(frame('text/event-plain', 'Event-Name: CHANNEL_PARK\nCore-UUID: x\n\n')), 'CHANNEL_PARK')
    t.equal(peekEventName(frame('text/event-json', '{"Event-Name":"CHANNEL_PARK","Core-UUID":"x"}')), 'CHANNEL_PARK')
    t.equal(
      peekEventName(frame('text/event-plain', 'Event-Name: COMMAND\nCore-UUID: x\nEvent-Name: PRIVATE_COMMAND\n\n')),
      'PRIVATE_COMMAND',
      'a second Event-Name: the last, as decoding keeps',
    )
    t.equal(
      peekEventName(frame('text/event-json', '{"Event-Name":"COMMAND","a":"b","Event-Name":"PRIVATE_COMMAND"}')),
      'PRIVATE_COMMAND',
      'json: a second Event-Name, the last',
    )
    t.equal(peekEventName(frame('command/reply', 'Event-Name: X\n')), undefined, 'not an event frame')
    t.equal(peekEventName({ headers: { 'Content-Type': 'text/event-json' } }), undefined, 'no body')
  },
)

t.test(
  'peekLeadingEventName reads only a first Event-Name: the decoded name of every captured event that has one first',
  async (t) => {
    let leading = 0
    let total = 0
    const notFirst = new Set<string>()
    const differs = new Set<string>()
    for (const name of captureNames()) {
      for (const f of eventFrames(name)) {
        total++
        const ev = eventFromFrame(f)!
        const p = peekLeadingEventName(f)
        if (p === undefined) notFirst.add(ev.name)
        else {
          leading++
          if (p !== ev.name) differs.add(`${p} → ${ev.name}`)
        }
      }
    }
    t.ok(leading > 3000, `${leading} of ${total} captured events start with their Event-Name`)
    t.same(
      [...notFirst].sort(),
      ['CUSTOM', 'PRIVATE_COMMAND'],
      'CUSTOM (Event-Subclass first) and PRIVATE_COMMAND do not',
    )
    // A recorded PRIVATE_COMMAND (inbound-record) starts `Event-Name: COMMAND` and repeats Event-Name further on:
    // the leading name is not the decoded one there, which is why the client decodes before it trusts it.
    t.same([...differs], ['COMMAND → PRIVATE_COMMAND'], 'the one real event whose first Event-Name is not its own')
    const frame = (type: string, body: string): EslFrame => ({
      headers: { 'Content-Type': type },
      body: Buffer.from(body),
    })
    t.equal(
      peekLeadingEventName(frame('text/event-json', '{"Core-UUID":"x","Event-Name":"API"}')),
      undefined,
      'not first',
    )
    t.equal(peekLeadingEventName(frame('text/event-plain', 'Core-UUID: x\nEvent-Name: API\n\n')), undefined)
    t.equal(
      peekLeadingEventName(frame('text/event-json', '{"Event-Name":"COMMAND","a":"b","Event-Name":"PRIVATE_COMMAND"}')),
      'COMMAND',
      'the first only: the client decodes before trusting it (a later one wins in decoding)',
    )
    t.equal(
      peekLeadingEventName(frame('text/event-plain', 'Event-Name: CHANNEL_PARK\nCore-UUID: x\n\n')),
      'CHANNEL_PARK',
    )
    t.equal(peekLeadingEventName(frame('text/event-json', '{"Event-Name":"A\\u0042"}')), undefined, 'escaped name')
    t.equal(peekLeadingEventName(frame('command/reply', 'Event-Name: X\n')), undefined, 'not an event frame')
    t.equal(peekLeadingEventName({ headers: { 'Content-Type': 'text/event-json' } }), undefined, 'no body')
  },
)

t.test('json events: headers, get() and body unchanged by the lazy flattening of array headers', async (t) => {
  let arrays = 0
  for (const name of captureNames().filter((n) => n.endsWith('.json'))) {
    for (const f of eventFrames(name)) {
      const ev = eventFromFrame(f)!
      const want = eagerJson(f)
      for (const k of Object.keys(want)) {
        if (ev.get(k) !== want[k]) t.fail(`${name} ${ev.name}: get(${k}) = ${ev.get(k)}, want ${want[k]}`)
      }
      if (Object.values(want).some((v) => v.startsWith('ARRAY::'))) arrays++
      t.same({ ...ev.headers }, want, `${name} ${ev.name} headers`, { diagnostic: false })
      const raw = JSON.parse(f.body!.toString('utf8')) as { _body?: string }
      t.equal(ev.body, raw._body, 'body')
    }
  }
  t.ok(arrays > 0, `${arrays} captured json events hold array headers (ARRAY:: as in plain)`)
})

t.test('the daemon subscription: unwanted events are recognised without decoding', async (t) => {
  const subs = new Subscriptions(['CHANNEL_PARK', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CUSTOM sofia::register'])
  t.ok(subs.wants('CHANNEL_PARK'))
  t.ok(subs.wants('BACKGROUND_JOB'), 'the client’s own events are always wanted')
  t.ok(subs.wants('CUSTOM'), 'CUSTOM needs its subclass, so it is decoded')
  t.notOk(subs.wants('CHANNEL_STATE'))
  t.notOk(subs.wants('CODEC'))
  t.ok(new Subscriptions(['ALL']).wants('CODEC'), 'ALL wants everything')
})
