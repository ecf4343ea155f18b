/**
 * The error convention (issue 11 item 5): every error class koplus throws is a KoplusError with a KOPLUS_-prefixed
 * code from one union, codes are unique, and cause and stack survive pino's `err` serializer.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { KOPLUS_ERROR_CODES, KoplusError, isKoplusError } from '../../src/errors.js'
import * as esl from '../../src/freeswitch/esl/errors.js'
import { EslFramingError, EslParser } from '../../src/freeswitch/esl/parser.js'
import { StoreError } from '../../src/store/errors.js'
import { ConfigError } from '../../src/config/index.js'
import { ApiError, toApiError } from '../../src/api/errors.js'
import { StartupError } from '../../src/daemon/index.js'
import { ScheduleValidationError } from '../../src/core/schedule/errors.js'

const samples: KoplusError[] = [
  new esl.EslError('ESL_PROTOCOL', 'p'),
  new esl.EslAuthError('h:1'),
  new esl.EslConnectError('ESL_CONNECT_REFUSED', 'h:1', 'refused'),
  new esl.EslTimeoutError('api x', 5),
  new esl.EslDisconnectedError(),
  new esl.EslChannelGoneError('u'),
  new esl.EslRudeRejectionError('h:1', 'go away'),
  new esl.EslCommandError('api x', '-ERR no'),
  new EslFramingError('bad'),
  new StoreError('NOT_FOUND', 'queue q not found'),
  new ConfigError('api.port', 'must be a port', 'default'),
  new ApiError(400, 'VALIDATION', 'bad', 'name'),
  new StartupError('database.path', 'cannot open'),
  new ScheduleValidationError([{ field: 'rules[0].rrule', problem: 'bad' }]),
]

t.test('every error class is a KoplusError (and an Error) with a code from the union', async (t) => {
  for (const e of samples) {
    t.ok(e instanceof KoplusError, `${e.name} is a KoplusError`)
    t.ok(e instanceof Error, `${e.name} is an Error`)
    t.ok(KOPLUS_ERROR_CODES.includes(e.code), `${e.name}: ${e.code} is a known code`)
    t.match(e.stack, new RegExp(`^${e.name}: `), `${e.name}: the stack starts with the class name`)
  }
})

t.test('codes are unique and KOPLUS_-prefixed', async (t) => {
  t.equal(new Set(KOPLUS_ERROR_CODES).size, KOPLUS_ERROR_CODES.length, 'no code twice')
  for (const c of KOPLUS_ERROR_CODES) t.match(c, /^KOPLUS_[A-Z_]+$/, c)
})

t.test('EslFramingError is an EslError, thrown by the parser', async (t) => {
  const p = new EslParser()
  const err = t.throws(() => p.push(Buffer.from('Content-Type: api/response\nContent-Length: 12x\n\n'))) as unknown
  t.ok(err instanceof esl.EslError, 'an EslError')
  t.ok(isKoplusError(err, 'KOPLUS_ESL_FRAMING'), 'code KOPLUS_ESL_FRAMING')
})

t.test(
  'old codes stay readable: eslCode, storeCode, apiCode (the API still answers with the short code)',
  async (t) => {
    t.equal(new esl.EslChannelGoneError('u').eslCode, 'ESL_CHANNEL_GONE')
    const s = new StoreError('DUPLICATE', 'dup', 'number')
    t.equal(s.code, 'KOPLUS_STORE_DUPLICATE')
    t.equal(s.storeCode, 'DUPLICATE')
    const a = toApiError(s)
    t.equal(a.status, 409)
    t.equal(a.code, 'KOPLUS_API_CONFLICT')
    t.same(a.toJSON(), { error: { code: 'CONFLICT', field: 'number', message: 'dup' } })
    t.equal(a.cause, s, 'the store error is the cause')
    const v = toApiError(new ScheduleValidationError([{ field: 'rules[2].rrule', problem: "unknown FREQ 'WEEK'" }]))
    t.same(v.toJSON(), { error: { code: 'VALIDATION', field: 'rules[2].rrule', message: "unknown FREQ 'WEEK'" } })
    const internal = toApiError(Object.assign(new Error('secret detail'), { code: 'NOT_FOUND' }))
    t.same(
      internal.toJSON(),
      { error: { code: 'INTERNAL', message: 'internal error' } },
      'a duck-typed code is not trusted',
    )
  },
)

t.test("cause and stack survive pino's err serializer", async (t) => {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  const log = pino({ base: null, timestamp: false }, stream)
  const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8021'), { code: 'ECONNREFUSED' })
  const err = new esl.EslConnectError('ESL_CONNECT_REFUSED', '127.0.0.1:8021', 'connection refused', { cause: root })
  log.error({ err }, 'cannot connect')
  // pino-std-serializers (lib/err.js, stackWithCauses / messageWithCauses) appends the cause chain to the stack
  // and the message rather than logging a `cause` object.
  const rec = JSON.parse(lines[0]) as { err: { type: string; code: string; message: string; stack: string } }
  t.equal(rec.err.type, 'EslConnectError')
  t.equal(rec.err.code, 'KOPLUS_ESL_CONNECT_REFUSED')
  t.match(
    rec.err.stack,
    /^EslConnectError: cannot connect to FreeSWITCH ESL at 127\.0\.0\.1:8021: connection refused\n\s+at /,
  )
  t.match(
    rec.err.stack,
    /\ncaused by: Error: connect ECONNREFUSED 127\.0\.0\.1:8021\n\s+at /,
    'the cause with its stack',
  )
  t.equal(
    rec.err.message,
    'cannot connect to FreeSWITCH ESL at 127.0.0.1:8021: connection refused: connect ECONNREFUSED 127.0.0.1:8021',
  )
})
