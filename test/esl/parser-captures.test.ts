/**
 * Every raw FreeSWITCH capture parsed whole, at its recorded TCP read boundaries, in seeded random
 * splits and (for the small ones and a prefix of the big ones) byte by byte: the frames must be
 * identical every time. Spot checks against values known from the captures' INDEX.txt.
 */
import t from 'tap'
import { EslParser, type EslFrame } from '../../src/freeswitch/esl/parser.js'
import { eventFromFrame } from '../../src/freeswitch/esl/event.js'
import { captureNames, readRx, readRxChunks, readTx } from '../fixtures/esl/captures.js'

/** A comparable form of a frame list. */
function canon(frames: EslFrame[]): Array<{ headers: Record<string, string>; body: string | null }> {
  return frames.map((f) => ({ headers: { ...f.headers }, body: f.body ? f.body.toString('base64') : null }))
}

function parseChunks(chunks: Buffer[]): { frames: EslFrame[]; left: number } {
  const p = new EslParser()
  const frames: EslFrame[] = []
  for (const c of chunks) for (const f of p.push(c)) frames.push(f)
  return { frames, left: p.bufferedBytes }
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

function randomSplit(buf: Buffer, seed: number, maxLen: number): Buffer[] {
  const r = rng(seed)
  const out: Buffer[] = []
  let pos = 0
  while (pos < buf.length) {
    const n = 1 + Math.floor(r() * maxLen)
    out.push(buf.subarray(pos, pos + n))
    pos += n
  }
  return out
}

function byteByByte(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1))
  return out
}

const names = captureNames()
t.ok(names.length >= 40, `found the captures (${names.length})`)

for (const name of names) {
  t.test(name, async (t) => {
    const rx = readRx(name)
    const whole = parseChunks([rx])
    t.equal(whole.left, 0, 'no partial frame left over')
    t.ok(whole.frames.length >= 3, 'several frames')
    const ref = canon(whole.frames)
    const types = whole.frames.map((f) => f.headers['Content-Type'])
    t.ok(
      types.every((c) => typeof c === 'string' && /^[a-z]+\/[a-z-]+$/.test(c)),
      'every frame has a Content-Type',
    )
    if (name.startsWith('inbound-')) t.equal(types[0], 'auth/request', 'inbound starts with auth/request')
    // Bodies have exactly their Content-Length in bytes.
    for (const f of whole.frames) {
      const cl = f.headers['Content-Length']
      if (cl !== undefined) t.equal(f.body?.length, Number(cl), 'body length = Content-Length')
    }
    // Events: every event frame decodes and has a name.
    const fmt = name.endsWith('.json') ? 'text/event-json' : 'text/event-plain'
    const evFrames = whole.frames.filter((f) => f.headers['Content-Type'] === fmt)
    const events = evFrames.map(eventFromFrame)
    t.ok(
      events.every((e) => e !== undefined && e.name.length > 0),
      `${evFrames.length} events decode with a name`,
    )
    const names = events.map((e) => e?.name)

    const chunks = readRxChunks(name)
    t.equal(Buffer.concat(chunks).compare(rx), 0, 'chunks.json rx reads concatenate to rx.txt')
    const atReads = parseChunks(chunks)
    t.same(canon(atReads.frames), ref, `recorded read boundaries (${chunks.length} reads) give the same frames`)
    t.same(atReads.frames.map((f) => eventFromFrame(f)?.name).filter(Boolean), names, 'same event names')

    for (const seed of [1, 2, 3]) {
      const maxLen = seed === 1 ? 16 : seed === 2 ? 300 : 9000
      const r = parseChunks(randomSplit(rx, seed * 7919 + name.length, maxLen))
      t.same(canon(r.frames), ref, `random split seed ${seed} (reads up to ${maxLen} bytes)`)
      t.equal(r.left, 0)
    }

    // Byte by byte: whole small captures, an 8 KB prefix of big ones.
    const prefix = rx.length <= 12_000 ? rx : rx.subarray(0, 8192)
    const prefRef = canon(parseChunks([prefix]).frames)
    const bb = parseChunks(byteByByte(prefix))
    t.same(canon(bb.frames), prefRef, `byte by byte over ${prefix.length} bytes`)
    t.same(prefRef, ref.slice(0, prefRef.length), 'prefix frames are a prefix of the whole parse')
  })
}

t.test('spot checks', async (t) => {
  const frames = (n: string) => parseChunks([readRx(n)]).frames

  const af = frames('inbound-authfail.plain')
  t.same(
    af.map((f) => f.headers['Content-Type']),
    ['auth/request', 'command/reply', 'text/disconnect-notice'],
  )
  t.equal(af[1].headers['Reply-Text'], '-ERR invalid')
  t.equal(af[2].body?.toString(), 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n')

  for (const fmt of ['plain', 'json']) {
    const ev = frames(`inbound-bgapi.${fmt}`)
      .map(eventFromFrame)
      .filter((e) => e?.name === 'BACKGROUND_JOB')
    t.equal(ev.length, 3, `${fmt}: three BACKGROUND_JOBs`)
    t.equal(ev[0]?.get('Job-Command'), 'status')
    t.match(ev[0]?.body, /^UP 0 years, 0 days.*\nFreeSWITCH \(Version 1\.10\.12-release/s, `${fmt}: status body`)
    t.equal(Buffer.byteLength(ev[0]?.body ?? ''), Number(ev[0]?.get('Content-Length')), 'inner Content-Length in bytes')
    t.equal(ev[1]?.body, '-ERR USER_BUSY\n', `${fmt}: originate error body`)
    // The client-chosen Job-UUID of `bgapi version` (tx.txt) comes back on its BACKGROUND_JOB.
    const ourJob = /bgapi version\nJob-UUID: ([0-9a-f-]{36})/.exec(readTx(`inbound-bgapi.${fmt}`))?.[1]
    t.ok(ourJob, 'tx has our Job-UUID')
    const v = ev.find((e) => e?.get('Job-UUID') === ourJob)
    t.ok(v, `${fmt}: our own Job-UUID came back`)
    t.match(v?.body, /^FreeSWITCH Version 1\.10\.12/)
  }

  const ae = frames('inbound-apierror.plain').filter((f) => f.headers['Content-Type'] === 'api/response')
  t.same(
    ae.map((f) => f.body?.toString()),
    ['-ERR USER_BUSY\n', '-ERR no_such_command Command not found!\n', '-ERR No such channel!\n'],
  )

  const misc = frames('inbound-misc.plain')
  const log = misc.find((f) => f.headers['Content-Type'] === 'log/data')
  t.equal(log?.headers['Log-Level'], '6')
  t.equal(log?.headers['User-Data'], '', 'empty header value')
  t.match(log?.body?.toString(), /Timezone reloaded/)

  const linger = frames('outbound-socket-linger2.plain').filter(
    (f) => f.headers['Content-Type'] === 'text/disconnect-notice',
  )
  t.same(
    linger.map((f) => f.headers['Content-Disposition']),
    ['linger', 'disconnect'],
  )
  t.equal(linger[0].headers['Linger-Time'], '2')

  // Plain: URL-decoded values ('#' is %23 on the wire); json: as given.
  const digits = (n: string) =>
    frames(n)
      .map(eventFromFrame)
      .filter((e) => e?.name === 'DTMF')
      .map((e) => e?.get('DTMF-Digit'))
  t.same(digits('inbound-dtmf.plain'), digits('inbound-dtmf.json'))
  t.ok(digits('inbound-dtmf.plain').includes('#'), "plain '%23' decodes to '#'")
  const api = frames('inbound-bgapi.plain')
    .map(eventFromFrame)
    .find((e) => e?.name === 'API')
  t.equal(api?.get('FreeSWITCH-IPv6'), 'fd00::2')
  t.equal(api?.get('Event-Date-GMT'), 'Wed, 25 Nov 2026 17:41:50 GMT')

  const reg = frames('inbound-registration.json')
    .map(eventFromFrame)
    .filter((e) => e?.name === 'CUSTOM')
  t.same(
    reg.map((e) => e?.subclass),
    ['sofia::register', 'sofia::unregister', 'sofia::register', 'sofia::expire'].slice(0, reg.length),
  )
  t.equal(reg[0]?.get('username'), '1000')

  // json array header, flattened as plain would have it.
  const park = frames('inbound-sip-caller.json')
    .map(eventFromFrame)
    .find((e) => e?.variable('DP_MATCH') !== undefined)
  t.equal(park?.variable('DP_MATCH'), 'ARRAY::lab-5000|:5000')
  const parkPlain = frames('inbound-sip-caller.plain')
    .map(eventFromFrame)
    .find((e) => e?.variable('DP_MATCH') !== undefined)
  t.equal(parkPlain?.variable('DP_MATCH'), 'ARRAY::lab-5000|:5000', 'plain has the same representation')

  const q = frames('inbound-queue-call.json')
    .map(eventFromFrame)
    .find((e) => e?.name === 'CHANNEL_PARK' && e.variable('koplus_queue'))
  t.equal(q?.variable('koplus_queue'), '5000')
  t.equal(q?.uuid, q?.get('Unique-ID'))
  t.ok(q?.uuid)
})
