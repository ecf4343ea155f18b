/** EslParser and eventFromFrame on hand-made inputs: the framing edge cases one by one. */
import t from 'tap'
import { EslParser, EslFramingError, type EslFrame } from '../../src/freeswitch/esl/parser.js'
import { eventFromFrame, urlDecode } from '../../src/freeswitch/esl/event.js'

const B = (s: string) => Buffer.from(s, 'utf8')

function feed(chunks: Buffer[]): EslFrame[] {
  const p = new EslParser()
  const out: EslFrame[] = []
  for (const c of chunks) out.push(...p.push(c))
  return out
}

/** Runs a case twice, as node-redis's decoder spec does: single chunk and byte by byte. */
function both(input: Buffer, check: (frames: EslFrame[], how: string) => void): void {
  check(feed([input]), 'single chunk')
  const bytes: Buffer[] = []
  for (let i = 0; i < input.length; i++) bytes.push(input.subarray(i, i + 1))
  check(feed(bytes), 'byte by byte')
}

t.test('frames without Content-Length (command/reply, auth/request)', async (t) => {
  both(B('Content-Type: auth/request\n\nContent-Type: command/reply\nReply-Text: +OK accepted\n\n'), (f, how) => {
    t.equal(f.length, 2, how)
    t.same(f[0].headers, { 'Content-Type': 'auth/request' })
    t.equal(f[0].body, undefined)
    t.equal(f[1].headers['Reply-Text'], '+OK accepted')
  })
})

t.test('end of headers split across reads: "\\n" | "\\n"', async (t) => {
  const p = new EslParser()
  t.same(p.push(B('Content-Type: command/reply\nReply-Text: +OK\n')), [])
  const f = p.push(B('\nContent-Type: auth/request\n'))
  t.equal(f.length, 1)
  t.equal(f[0].headers['Reply-Text'], '+OK')
  t.same(
    p.push(B('\n')).map((x) => x.headers['Content-Type']),
    ['auth/request'],
  )
  t.equal(p.bufferedBytes, 0)
})

t.test('api/response bodies with blank lines, leading newline, no trailing newline', async (t) => {
  const bodies = ['\nline after a newline\n\n\nmore\n\n', 'no trailing newline', '\n\n\n\n']
  const wire = bodies.map((b) => `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(b)}\n\n${b}`).join('')
  both(B(wire + 'Content-Type: command/reply\nReply-Text: +OK\n\n'), (f, how) => {
    t.same(
      f.map((x) => x.body?.toString()),
      [...bodies, undefined],
      how,
    )
  })
})

t.test('Content-Length counts bytes, UTF-8 is decoded only after cutting', async (t) => {
  const body = 'Kö Plus — åäö 🎧'
  const wire = B(
    `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}Content-Type: auth/request\n\n`,
  )
  t.ok(Buffer.byteLength(body) > body.length)
  both(wire, (f, how) => {
    t.equal(f.length, 2, how)
    t.equal(f[0].body?.toString('utf8'), body, how)
  })
})

t.test('log/data, rude rejection and disconnect notices are frames like any other', async (t) => {
  const rude = 'Access Denied, go away.\n'
  const wire =
    `Content-Type: text/rude-rejection\nContent-Length: ${rude.length}\n\n${rude}` +
    'Content-Type: text/disconnect-notice\nContent-Disposition: linger\nLinger-Time: 2\nContent-Length: 0\n\n' +
    'Content-Type: log/data\nContent-Length: 5\nLog-Level: 7\nUser-Data: \n\nhello'
  both(B(wire), (f, how) => {
    t.same(
      f.map((x) => x.headers['Content-Type']),
      ['text/rude-rejection', 'text/disconnect-notice', 'log/data'],
      how,
    )
    t.equal(f[0].body?.toString(), rude)
    t.equal(f[1].body?.length, 0)
    t.equal(f[2].headers['User-Data'], '')
  })
})

t.test('a 10 MB body arriving in 64 KiB reads', async (t) => {
  const size = 10 * 1024 * 1024
  const body = Buffer.alloc(size, 0x61)
  body.write('\n\nContent-Length: 3\n\n', 1000) // framing-looking bytes inside a body are just bytes
  const wire = Buffer.concat([
    B(`Content-Type: api/response\nContent-Length: ${size}\n\n`),
    body,
    B('Content-Type: auth/request\n\n'),
  ])
  const chunks: Buffer[] = []
  for (let i = 0; i < wire.length; i += 65536) chunks.push(wire.subarray(i, i + 65536))
  const f = feed(chunks)
  t.equal(f.length, 2)
  t.equal(f[0].body?.length, size)
  t.ok(f[0].body?.equals(body))
  t.equal(f[1].headers['Content-Type'], 'auth/request')
})

t.test('100,000 small frames in one read, without recursion', async (t) => {
  const one = 'Content-Type: api/response\nContent-Length: 3\n\n+OK'
  const wire = B(one.repeat(100_000) + 'Content-Type: command/reply\nReply-Text: +OK\n\n')
  // Run it with a small stack: a per-frame recursion would overflow.
  const p = new EslParser()
  const f = p.push(wire)
  t.equal(f.length, 100_001)
  t.equal(f[99_999].body?.toString(), '+OK')
  const { execFileSync } = await import('node:child_process')
  const url = new URL('../../src/freeswitch/esl/parser.ts', import.meta.url).href
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      '--stack-size=200',
      '--input-type=module',
      '-e',
      `import { EslParser } from ${JSON.stringify(url)}; const w = Buffer.from(${JSON.stringify(one)}.repeat(100000)); console.log(new EslParser().push(w).length)`,
    ],
    { encoding: 'utf8' },
  )
  t.equal(out.trim(), '100000', 'also with --stack-size=200')
})

t.test('stray newlines between frames are skipped', async (t) => {
  both(B('\nContent-Type: auth/request\n\n\n\nContent-Type: command/reply\nReply-Text: +OK\n\n'), (f, how) => {
    t.same(
      f.map((x) => x.headers['Content-Type']),
      ['auth/request', 'command/reply'],
      how,
    )
  })
})

t.test('a bad Content-Length throws a named error and resets the parser', async (t) => {
  const p = new EslParser()
  t.throws(() => p.push(B('Content-Type: api/response\nContent-Length: 12x\n\n')), EslFramingError)
  t.equal(p.bufferedBytes, 0)
  t.same(p.push(B('Content-Type: auth/request\n\n')).length, 1)
})

t.test('__proto__ header does not touch the prototype', async (t) => {
  const f = feed([B('Content-Type: command/reply\n__proto__: x\n\n')])
  t.equal(Object.getPrototypeOf(f[0].headers), Object.prototype)
  t.equal(Object.getOwnPropertyDescriptor(f[0].headers, '__proto__')?.value, 'x')
})

function plainEvent(inner: string, body?: string): Buffer {
  const text = body === undefined ? inner + '\n' : `${inner}Content-Length: ${Buffer.byteLength(body)}\n\n${body}`
  return B(`Content-Length: ${Buffer.byteLength(text)}\nContent-Type: text/event-plain\n\n${text}`)
}

t.test('plain events: URL-decoded, never throwing on a bad %', async (t) => {
  const wire = plainEvent(
    'Event-Name: CHANNEL_PARK\nUnique-ID: abc\nvariable_bad: 100%25%20sure%\nvariable_worse: %E0%A4%A\nvariable_zz: %zz%2\n' +
      'variable_bytes: %FF%FE\nvariable_utf8: K%C3%B6\nvariable_plus: a+b\n',
  )
  both(wire, (f, how) => {
    const e = eventFromFrame(f[0])
    t.ok(e, how)
    t.equal(e?.name, 'CHANNEL_PARK')
    t.equal(e?.uuid, 'abc')
    t.equal(e?.variable('bad'), '100% sure%')
    t.equal(e?.variable('worse'), '\ufffd%A', 'truncated sequence kept, bad UTF-8 replaced')
    t.equal(e?.variable('zz'), '%zz%2')
    t.equal(e?.variable('bytes'), '\ufffd\ufffd')
    t.equal(e?.variable('utf8'), 'Kö')
    t.equal(e?.variable('plus'), 'a+b', "'+' is not a space (switch_url_decode)")
    t.equal(e?.get('nope'), undefined)
    t.equal(e?.get('toString'), undefined, 'inherited names are not headers')
  })
  t.doesNotThrow(() => urlDecode('%'))
  t.equal(urlDecode('%'), '%')
  t.equal(urlDecode('%%%41'), '%%A')
})

t.test('plain BACKGROUND_JOB: inner Content-Length and body', async (t) => {
  const body = '+OK 7f4de4bc\n\nsecond paragraph, no newline'
  const wire = plainEvent('Event-Name: BACKGROUND_JOB\nJob-UUID: j1\nJob-Command: originate\n', body)
  both(wire, (f, how) => {
    const e = eventFromFrame(f[0])
    t.equal(e?.name, 'BACKGROUND_JOB', how)
    t.equal(e?.get('Job-UUID'), 'j1')
    t.equal(e?.body, body)
  })
})

t.test('json events: values as given, _body, CUSTOM subclass; malformed json → undefined', async (t) => {
  const obj = {
    'Event-Name': 'CUSTOM',
    'Event-Subclass': 'sofia::register',
    'Unique-ID': 'u1',
    pct: '100% %zz',
    _body: 'hi\n',
  }
  const json = JSON.stringify(obj)
  const wire = B(`Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`)
  const e = eventFromFrame(feed([wire])[0])
  t.equal(e?.name, 'CUSTOM')
  t.equal(e?.subclass, 'sofia::register')
  t.equal(e?.uuid, 'u1')
  t.equal(e?.get('pct'), '100% %zz', 'json values are not URL-decoded')
  t.equal(e?.body, 'hi\n')
  t.equal(e?.get('_body'), undefined)
  const bad = B('Content-Length: 5\nContent-Type: text/event-json\n\n{"a":')
  t.equal(eventFromFrame(feed([bad])[0]), undefined)
  t.equal(eventFromFrame({ headers: { 'Content-Type': 'command/reply' } }), undefined)
})

t.test('nothing of a chunk is kept after push: one read buffer reused for every read (net onread)', async (t) => {
  // Every kind of frame, with a body that spans many reads and headers cut anywhere.
  const big = Buffer.alloc(200_000, 'b')
  const wire = Buffer.concat([
    B('Content-Type: auth/request\n\n'),
    B('Content-Type: api/response\nContent-Length: 11\n\nhello\n\nthere'),
    B(`Content-Type: api/response\nContent-Length: ${big.length}\n\n`),
    big,
    ...Array.from({ length: 300 }, (_, i) => {
      const json = Buffer.from(
        JSON.stringify({ 'Event-Name': 'CHANNEL_PARK', 'Unique-ID': `u-${i}`, pad: 'é'.repeat(i) }),
      )
      return Buffer.concat([B(`Content-Length: ${json.length}\nContent-Type: text/event-json\n\n`), json])
    }),
    B('Content-Type: command/reply\nReply-Text: +OK\n\n'),
  ])
  const reference = feed([wire]).map((f) => ({ headers: f.headers, body: f.body?.toString('latin1') }))
  for (const size of [1, 7, 100, 4096, 65536]) {
    const shared = Buffer.alloc(size)
    const parser = new EslParser()
    const got: Array<{ headers: Record<string, string>; body?: string }> = []
    for (let at = 0; at < wire.length; at += size) {
      const n = wire.copy(shared, 0, at, Math.min(wire.length, at + size))
      // The frames of a read are used before the next read, as the client does; then the buffer is overwritten.
      for (const f of parser.push(shared.subarray(0, n)))
        got.push({ headers: f.headers, body: f.body?.toString('latin1') })
      shared.fill(0xff)
    }
    t.equal(got.length, reference.length, `${size}-byte reads: every frame`)
    t.same(got, reference, `${size}-byte reads: the same frames as one read`)
  }
})

t.test('a Content-Length over 1 GiB is a framing error (its body would be allocated at once)', async (t) => {
  const p = new EslParser()
  t.throws(() => p.push(B(`Content-Type: api/response\nContent-Length: ${2 ** 30 + 1}\n\n`)), EslFramingError)
  t.equal(p.bufferedBytes, 0, 'reset')
  t.same(
    p.push(B('Content-Type: api/response\nContent-Length: 2\n\nok')).map((f) => f.body?.toString()),
    ['ok'],
    'the parser goes on with the next frame',
  )
})
