/**
 * The adapter's logging and error conventions (issue 11 item 5): each call and leg logs through a child logger
 * bound to callId / legId / agentId, errors are logged as `{ err }` with their stack, and failures are recognised
 * by their class (EslChannelGoneError, EslCommandError's `-ERR No such channel` reply), not by a `code` a foreign
 * error happens to carry.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { FreeSwitchAdapter } from '../../src/freeswitch/adapter/adapter.js'
import type { EslPort } from '../../src/freeswitch/adapter/port.js'
import { EslChannelGoneError, EslCommandError } from '../../src/freeswitch/esl/errors.js'
import { makeEvent } from '../../src/freeswitch/esl/event.js'
import type { CoreEvent } from '../../src/core/events.js'

interface Line {
  level: number
  msg: string
  module?: string
  callId?: string
  legId?: string
  agentId?: string
  err?: { type: string; code?: string; message: string; stack: string }
}

function logged() {
  const lines: Line[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line)
      done()
    },
  })
  return { lines, logger: pino({ level: 'debug', base: null, timestamp: false }, stream).child({ module: 'adapter' }) }
}

const park = (uuid: string, vars: Record<string, string>) =>
  makeEvent({
    'Event-Name': 'CHANNEL_PARK',
    'Unique-ID': uuid,
    ...Object.fromEntries(Object.entries(vars).map(([k, v]) => ['variable_' + k, v])),
  })
const flush = () => new Promise((r) => setImmediate(r))

t.test(
  'a failed command is logged on the call’s child logger, with callId, legId, agentId and the error as err',
  async (t) => {
    const { lines, logger } = logged()
    const events: CoreEvent[] = []
    const port: EslPort = {
      api: async () => '+OK',
      bgapi: () => Promise.reject(new EslCommandError('bgapi originate', '-ERR invalid')),
      execute: () => Promise.reject(new EslCommandError('sendmsg', '-ERR no')),
      sendmsg: async () => '+OK',
    }
    const adapter = new FreeSwitchAdapter(port, (e) => events.push(e), { logger })
    adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
    await adapter.execute({ type: 'play', callId: 'q1', token: 'p1', files: ['welcome.wav'] })
    await flush()
    const play = lines.find((l) => l.msg === 'playback failed')
    t.ok(play, 'the failure is logged')
    t.match(play, {
      module: 'adapter',
      callId: 'q1',
      err: { type: 'EslCommandError', code: 'KOPLUS_ESL_COMMAND_FAILED' },
    })
    t.match(play?.err?.stack, /^EslCommandError: "sendmsg" failed: -ERR no\n\s+at /, 'with its stack')
    t.same(events.at(-1), { type: 'prompt-finished', callId: 'q1', token: 'p1', interrupted: true })

    await adapter.execute({
      type: 'originate',
      callId: 'q1',
      offerId: 'o1',
      timeoutSec: 2,
      callerIdName: 'Q',
      callerIdNumber: '1',
      queueId: 'q',
      legs: [{ legId: 'L1', agentId: 'a1001', dialString: 'user/1001@default', confirm: false, whisper: false }],
    })
    await flush()
    const og = lines.find((l) => l.msg === 'originate')
    t.match(og, { callId: 'q1', offerId: 'o1' }, 'the originate is logged with the call id')
    t.match(
      lines.find((l) => l.msg === 'ESL command failed'),
      { callId: 'q1', command: 'originate', err: { type: 'EslCommandError' } },
    )
    t.same(
      events.at(-1),
      { type: 'leg-failed', legId: 'L1', cause: 'ORIGINATOR_CANCEL' },
      'a refused originate fails its legs',
    )
  },
)

t.test('an agent leg logs with callId, legId and agentId', async (t) => {
  const { lines, logger } = logged()
  const port: EslPort = {
    api: async (cmd) => (cmd.startsWith('uuid_kill') ? '-ERR something else\n' : '+OK'),
    bgapi: () => new Promise(() => undefined),
    execute: () => new Promise(() => undefined),
    sendmsg: async () => '+OK',
  }
  const adapter = new FreeSwitchAdapter(port, () => undefined, { logger })
  adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
  await adapter.execute({
    type: 'originate',
    callId: 'q1',
    offerId: 'o1',
    timeoutSec: 2,
    callerIdName: 'Q',
    callerIdNumber: '1',
    queueId: 'q',
    legs: [{ legId: 'L1', agentId: 'a1001', dialString: 'user/1001@default', confirm: false, whisper: false }],
  })
  await adapter.execute({ type: 'hangup-leg', legId: 'L1', cause: 'ORIGINATOR_CANCEL' })
  t.match(
    lines.find((l) => l.msg === 'ESL api command failed'),
    { module: 'adapter', callId: 'q1', legId: 'L1', agentId: 'a1001', command: 'uuid_kill' },
  )
})

t.test(
  'gone is known by class: EslChannelGoneError and an EslCommandError "-ERR No such channel"; a foreign code is not trusted',
  async (t) => {
    const cases: [string, Error, string[]][] = [
      ['EslChannelGoneError', new EslChannelGoneError('q1', 'NORMAL_CLEARING'), ['call-arrived', 'call-hungup']],
      [
        'EslCommandError -ERR No such channel',
        new EslCommandError('sendmsg q1', '-ERR No such channel!'),
        ['call-arrived', 'call-hungup'],
      ],
      [
        'a plain Error with code ESL_CHANNEL_GONE',
        Object.assign(new Error('gone'), { code: 'ESL_CHANNEL_GONE' }),
        ['call-arrived'],
      ],
    ]
    for (const [name, err, want] of cases) {
      const events: CoreEvent[] = []
      const fail = () => Promise.reject(err)
      const adapter = new FreeSwitchAdapter({ api: fail, bgapi: fail, execute: fail, sendmsg: fail }, (e) =>
        events.push(e),
      )
      adapter.handleEslEvent(park('q1', { koplus_queue: '5000' }))
      await adapter.execute({ type: 'hangup', callId: 'q1', cause: 'NORMAL_CLEARING' })
      await flush()
      t.same(
        events.map((e) => e.type),
        want,
        name,
      )
    }
  },
)
