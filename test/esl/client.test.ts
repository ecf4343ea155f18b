/** EslClient against a fake mod_event_socket on 127.0.0.1:0; timers on a VirtualClock. */
import t from 'tap'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { VirtualClock } from '../../src/util/clock.js'
import {
  EslClient,
  EslAuthError,
  EslChannelGoneError,
  EslCommandError,
  EslConnectError,
  EslDisconnectedError,
  EslRudeRejectionError,
  EslTimeoutError,
  type EslClientOptions,
  type EslEvent,
} from '../../src/freeswitch/esl/index.js'
import { FakeConnection, FakeEslServer } from '../fixtures/esl/fake-esl-server.js'

/** What setup() needs of a tap test. */
type Tap = { teardown: (fn: () => unknown) => void }

const PASSWORD = 'Sup3r-Secret-Pa55'

/** A pino logger writing JSON lines into an array (pino's test/helper.js sink(), in spirit). */
function sinkLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(l)
      cb()
    },
  })
  return { logger: pino({ level: 'trace' }, stream), lines }
}

async function setup(t: Tap, opts: Partial<EslClientOptions> = {}) {
  const server = await FakeEslServer.start()
  server.password = PASSWORD
  const clock = new VirtualClock()
  const client = new EslClient({ host: '127.0.0.1', port: server.port, password: PASSWORD, clock, ...opts })
  t.teardown(async () => {
    client.removeAllListeners()
    await client.close().catch(() => undefined)
    await server.close()
  })
  return { server, clock, client }
}

/** Lets socket I/O happen (real sockets, virtual timers). */
const tick = () => new Promise<void>((r) => setImmediate(r))
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return
    await new Promise<void>((r) => setTimeout(r, 1))
  }
  throw new Error(`timed out waiting for ${what}`)
}

t.test('connect: auth, subscription (json ALL), ready', async (t) => {
  const { server, client } = await setup(t)
  let readyEvents = 0
  client.on('ready', () => readyEvents++)
  await client.connect()
  t.equal(client.ready, true)
  t.equal(readyEvents, 1)
  const conn = await server.connection(0)
  t.same(
    conn.received.map((c) => c.line),
    [`auth ${PASSWORD}`, 'event json ALL'],
  )
  await client.connect() // already ready: resolves at once
})

t.test('the subscription always includes the events the client needs, CUSTOM last', async (t) => {
  const { server, client } = await setup(t, {
    events: ['CHANNEL_PARK', 'CUSTOM sofia::register sofia::expire'],
    format: 'plain',
  })
  await client.connect()
  const conn = await server.connection(0)
  const line = conn.received[1].line
  t.match(line, /^event plain CHANNEL_PARK /)
  for (const e of ['BACKGROUND_JOB', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP'])
    t.ok(line.split(' ').includes(e), e)
  t.match(line, / CUSTOM sofia::register sofia::expire$/, 'subclasses after CUSTOM, at the end')
})

t.test('wrong password: EslAuthError, final (no retry), password nowhere in logs or errors', async (t) => {
  const { logger, lines } = sinkLogger()
  const { server, clock, client } = await setup(t, { logger, password: 'WrongPassword-xyz' })
  const reconnecting: unknown[] = []
  client.on('reconnecting', (i) => reconnecting.push(i))
  const err = await client.connect().catch((e: unknown) => e)
  t.type(err, EslAuthError)
  t.equal((err as EslAuthError).code, 'KOPLUS_ESL_AUTH_FAILED')
  t.match((err as Error).message, `127.0.0.1:${server.port}`)
  t.notMatch((err as Error).message, 'WrongPassword-xyz')
  t.notMatch(JSON.stringify(err), 'WrongPassword-xyz')
  clock.advance(60_000)
  await tick()
  t.equal(server.connections.length, 1, 'no reconnect after an auth failure')
  t.same(reconnecting, [])
  t.ok(lines.length > 0, 'something was logged')
  for (const l of lines) t.notMatch(l, 'WrongPassword-xyz')
  t.ok(lines.some((l) => JSON.parse(l).msg === 'ESL authentication failed'))
})

t.test('the password never appears in the logs of a whole session at trace level', async (t) => {
  const { logger, lines } = sinkLogger()
  const { server, client } = await setup(t, { logger })
  await client.connect()
  const conn = await server.connection(0)
  const p = client.api('status')
  await conn.nextCommand()
  conn.apiResponse('UP\n')
  await p
  conn.socket.destroy()
  await once(client, 'reconnecting')
  for (const l of lines) t.notMatch(l, PASSWORD)
  t.ok(lines.length >= 3)
})

t.test('connection refused / host unreachable / connect timeout: named errors with the address', async (t) => {
  const closed = await FakeEslServer.start()
  const port = closed.port
  await closed.close()
  const refused = new EslClient({ host: '127.0.0.1', port, password: PASSWORD, reconnect: false })
  const e1 = (await refused.connect().catch((e: unknown) => e)) as EslConnectError
  t.type(e1, EslConnectError)
  t.equal(e1.code, 'KOPLUS_ESL_CONNECT_REFUSED')
  t.match(e1.message, `127.0.0.1:${port}`)
  t.match(e1.message, /refused/)

  const nowhere = new EslClient({ host: 'koplus-nowhere.invalid', port: 8021, password: PASSWORD, reconnect: false })
  const e2 = (await nowhere.connect().catch((e: unknown) => e)) as EslConnectError
  t.type(e2, EslConnectError)
  t.equal(e2.code, 'KOPLUS_ESL_HOST_UNREACHABLE')
  t.match(e2.message, 'koplus-nowhere.invalid:8021')

  const silent = await FakeEslServer.start()
  silent.greet = false
  t.teardown(() => silent.close())
  const clock = new VirtualClock()
  const mute = new EslClient({
    host: '127.0.0.1',
    port: silent.port,
    password: PASSWORD,
    reconnect: false,
    clock,
    connectTimeoutMs: 3000,
  })
  const p = mute.connect().catch((e: unknown) => e)
  await silent.connection(0)
  clock.advance(2999)
  await tick()
  t.equal(mute.ready, false)
  clock.advance(1)
  const e3 = (await p) as EslConnectError
  t.type(e3, EslConnectError)
  t.equal(e3.code, 'KOPLUS_ESL_CONNECT_TIMEOUT')
  t.match(e3.message, /3000 ms/)
})

t.test('rude rejection is a named error', async (t) => {
  const server = await FakeEslServer.start()
  server.greet = false
  t.teardown(() => server.close())
  const client = new EslClient({
    host: '127.0.0.1',
    port: server.port,
    password: PASSWORD,
    reconnect: false,
    clock: new VirtualClock(),
  })
  const p = client.connect().catch((e: unknown) => e)
  const conn = await server.connection(0)
  const text = 'Access Denied, go away.\n'
  conn.write(`Content-Type: text/rude-rejection\nContent-Length: ${text.length}\n\n${text}`)
  conn.socket.end()
  const err = (await p) as EslRudeRejectionError
  t.type(err, EslRudeRejectionError)
  t.equal(err.code, 'KOPLUS_ESL_RUDE_REJECTION')
  t.match(err.message, 'Access Denied')
})

t.test('api: strictly ordered replies, bodies with blank lines, -ERR bodies returned as text', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const a = client.api('show channels as json')
  const b = client.api('uuid_getvar x y')
  const c = client.api('status')
  const cmds = [await conn.nextCommand(), await conn.nextCommand(), await conn.nextCommand()]
  t.same(
    cmds.map((x) => x.line),
    ['api show channels as json', 'api uuid_getvar x y', 'api status'],
  )
  // All three replies in one write.
  const resp = (b: string) => `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(b)}\n\n${b}`
  conn.write(resp('{"row_count": 0}') + resp('-ERR No such channel!\n') + resp('\nUP\n\n\nready\n\n'))
  t.equal(await a, '{"row_count": 0}')
  t.equal(await b, '-ERR No such channel!\n')
  t.equal(await c, '\nUP\n\n\nready\n\n')
  await t.rejects(
    client.api('bad\ncommand'),
    { code: 'KOPLUS_ESL_INVALID_COMMAND' },
    'newlines cannot smuggle commands',
  )
})

t.test('command timeout: named error; the late reply goes nowhere, the next command gets its own', async (t) => {
  const { server, clock, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const slow = client.api('slow', { timeoutMs: 1000 })
  await conn.nextCommand()
  clock.advance(999)
  await tick()
  clock.advance(1)
  const err = (await slow.catch((e: unknown) => e)) as EslTimeoutError
  t.type(err, EslTimeoutError)
  t.equal(err.code, 'KOPLUS_ESL_COMMAND_TIMEOUT')
  t.match(err.message, 'api slow')
  const next = client.api('next')
  await conn.nextCommand()
  conn.apiResponse('late reply to slow')
  conn.apiResponse('reply to next')
  t.equal(await next, 'reply to next')
  t.equal(client.pendingCommands, 0)
  // default timeout from options
  const d = client.api('never')
  clock.advance(10_000)
  await t.rejects(d, { code: 'KOPLUS_ESL_COMMAND_TIMEOUT' })
})

t.test('command(): Reply-Text, or EslCommandError on -ERR', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const ok = client.command('log 7')
  await conn.nextCommand()
  conn.reply('+OK log level 7 [7]')
  t.equal(await ok, '+OK log level 7 [7]')
  const bad = client.command('no_such')
  await conn.nextCommand()
  conn.reply('-ERR command not found')
  const err = (await bad.catch((e: unknown) => e)) as EslCommandError
  t.type(err, EslCommandError)
  t.equal(err.code, 'KOPLUS_ESL_COMMAND_FAILED')
  t.equal(err.reply, '-ERR command not found')
})

t.test('bgapi: our own Job-UUID, settled by BACKGROUND_JOB (also when the event beats the reply)', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const p = client.bgapi('originate loopback/agent/lab &park()')
  const cmd = await conn.nextCommand()
  t.equal(cmd.line, 'bgapi originate loopback/agent/lab &park()')
  const jobUuid = cmd.headers['Job-UUID']
  t.match(jobUuid, /^[0-9a-f-]{36}$/)
  conn.reply(`+OK Job-UUID: ${jobUuid}`, { 'Job-UUID': jobUuid })
  conn.event({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': 'someone-elses', 'Job-Command': 'status' }, 'UP\n')
  conn.event({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': jobUuid, 'Job-Command': 'originate' }, '+OK 7f4de4bc-0000\n')
  t.same(await p, { ok: true, body: '+OK 7f4de4bc-0000\n', jobUuid })

  const q = client.bgapi('originate error/USER_BUSY &park')
  const cmd2 = await conn.nextCommand()
  const j2 = cmd2.headers['Job-UUID']
  conn.event({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': j2 }, '-ERR USER_BUSY\n')
  conn.reply(`+OK Job-UUID: ${j2}`, { 'Job-UUID': j2 })
  t.same(await q, { ok: false, body: '-ERR USER_BUSY\n', jobUuid: j2 })

  const r = client.bgapi('')
  await conn.nextCommand()
  conn.reply('-ERR no reply')
  await t.rejects(r, { code: 'KOPLUS_ESL_COMMAND_FAILED' })
})

function execEvents(conn: FakeConnection, uuid: string, appUuid: string, app: string, response: string) {
  conn.event({ 'Event-Name': 'CHANNEL_EXECUTE', 'Unique-ID': uuid, Application: app, 'Application-UUID': appUuid })
  conn.event({
    'Event-Name': 'CHANNEL_EXECUTE_COMPLETE',
    'Unique-ID': uuid,
    Application: app,
    'Application-UUID': appUuid,
    'Application-Response': response,
  })
}

t.test('execute: sendmsg with event-lock and our Event-UUID; settles on the matching EXECUTE_COMPLETE', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const p = client.execute('chan-1', 'playback', '/sounds/welcome.wav')
  const cmd = await conn.nextCommand()
  t.equal(cmd.line, 'sendmsg chan-1')
  t.same(Object.keys(cmd.headers), ['call-command', 'execute-app-name', 'execute-app-arg', 'event-lock', 'Event-UUID'])
  t.equal(cmd.headers['event-lock'], 'true')
  const appUuid = cmd.headers['Event-UUID']
  conn.reply('+OK')
  execEvents(conn, 'chan-1', 'other-app-uuid', 'playback', 'FILE NOT FOUND')
  execEvents(conn, 'chan-2', appUuid, 'playback', 'WRONG CHANNEL')
  execEvents(conn, 'chan-1', appUuid, 'playback', 'FILE PLAYED')
  const r = await p
  t.equal(r.response, 'FILE PLAYED')
  t.equal(r.event?.name, 'CHANNEL_EXECUTE_COMPLETE')

  // multi-line argument goes as a text/plain body; loops header
  const q = client.execute('chan-1', 'set', 'a=1\nb=2', { loops: 2, eventLock: false })
  const cmd2 = await conn.nextCommand()
  t.equal(cmd2.body, 'a=1\nb=2')
  t.equal(cmd2.headers['content-type'], 'text/plain')
  t.equal(cmd2.headers['loops'], '2')
  t.equal(cmd2.headers['event-lock'], undefined)
  conn.reply('-ERR invalid session id [chan-1]')
  await t.rejects(q, { code: 'KOPLUS_ESL_COMMAND_FAILED' })

  // Bad input and a closed client reject the promise (execute never throws).
  let thrown: unknown
  let bad: Promise<unknown> | undefined
  try {
    bad = client.execute('chan-1\nsendmsg other', 'playback')
  } catch (err) {
    thrown = err
  }
  t.equal(thrown, undefined, 'a uuid with a newline does not throw')
  await t.rejects(bad!, /channel uuid/, 'it rejects')
  await client.close()
  await t.rejects(client.execute('chan-1', 'playback', 'x.wav'), /not connected|closed/i, 'closed: rejects')
})

t.test('executeThen: the same execution with a callback, called once and never synchronously', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const run = (uuid: string): { result: Promise<{ err?: Error; response?: string }>; sync: () => boolean } => {
    let returned = false
    let sync = false
    const result = new Promise<{ err?: Error; response?: string }>((resolve) => {
      let calls = 0
      client.executeThen(uuid, 'playback', 'moh.wav', { loops: -1 }, (err, r) => {
        calls++
        if (calls > 1) t.fail('called twice')
        sync = !returned
        resolve(err ? { err } : { response: r?.response ?? '' })
      })
    })
    returned = true
    return { result, sync: () => sync }
  }
  const a = run('chan-1')
  const cmd = await conn.nextCommand()
  t.equal(cmd.headers['loops'], '-1')
  conn.reply('+OK')
  conn.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'chan-1', 'Hangup-Cause': 'NORMAL_CLEARING' })
  const ra = await a.result
  t.type(ra.err, EslChannelGoneError, 'the caller hung up: the error execute() rejects with')
  t.equal(a.sync(), false)
  const b = run('chan-2')
  await conn.nextCommand()
  conn.reply('-ERR invalid session id [chan-2]')
  t.match((await b.result).err, { code: 'KOPLUS_ESL_COMMAND_FAILED' }, 'a failed sendmsg ends it')
  const c = run('bad\nuuid')
  t.match((await c.result).err?.message, /channel uuid/, 'bad input: the callback, not a throw')
  t.equal(c.sync(), false, 'and not synchronously')
})

t.test('execute: the channel hangs up first → EslChannelGoneError; timeoutMs → EslTimeoutError', async (t) => {
  const { server, clock, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const p = client.execute('chan-9', 'playback', 'x.wav')
  await conn.nextCommand()
  conn.reply('+OK')
  conn.event({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'chan-9', 'Hangup-Cause': 'NORMAL_CLEARING' })
  const err = (await p.catch((e: unknown) => e)) as EslChannelGoneError
  t.type(err, EslChannelGoneError)
  t.equal(err.code, 'KOPLUS_ESL_CHANNEL_GONE')
  t.equal(err.hangupCause, 'NORMAL_CLEARING')

  const q = client.execute('chan-8', 'playback', 'x.wav', { timeoutMs: 5000 })
  await conn.nextCommand()
  conn.reply('+OK')
  await tick()
  clock.advance(5000)
  await t.rejects(q, { code: 'KOPLUS_ESL_COMMAND_TIMEOUT' })
})

t.test(
  'disconnect: every pending command rejected with EslDisconnectedError, nothing re-sent; subscriptions and filters replayed before ready',
  async (t) => {
    const { server, clock, client } = await setup(t)
    await client.connect()
    const conn = await server.connection(0)
    await Promise.all([client.subscribe(['CUSTOM sofia::register']), client.filter('Unique-ID', 'chan-1')])
    t.same(
      conn.received
        .slice(2)
        .map((c) => c.line)
        .sort(),
      [
        'event json ALL', // ALL already covers CUSTOM
        'filter Event-Name BACKGROUND_JOB',
        'filter Unique-ID chan-1',
      ].sort(),
    )

    const api = client.api('status')
    const bg = client.bgapi('originate user/1000 &park()')
    const ex = client.execute('chan-1', 'playback', 'moh.wav', { loops: -1 })
    await conn.nextCommand()
    await conn.nextCommand()
    t.equal((await conn.nextCommand()).line, 'sendmsg chan-1')
    conn.apiResponse('UP') // replies go in order: this one answers `api status`; bgapi and sendmsg stay pending
    const disconnected = once(client, 'disconnected')
    const reconnecting = once(client, 'reconnecting')
    conn.socket.destroy()
    const [derr] = (await disconnected) as [Error]
    t.type(derr, EslDisconnectedError)
    t.equal(client.ready, false)
    await t.resolves(api, 'the api had its reply before the drop')
    for (const p of [bg, ex]) {
      const e = (await p.catch((x: unknown) => x)) as EslDisconnectedError
      t.type(e, EslDisconnectedError)
      t.equal(e.code, 'KOPLUS_ESL_DISCONNECTED')
    }
    await t.rejects(client.api('status'), { code: 'KOPLUS_ESL_DISCONNECTED' }, 'no commands while disconnected')

    const [info] = (await reconnecting) as [{ attempt: number; delayMs: number; reason: string }]
    t.equal(info.attempt, 1)
    t.ok(info.delayMs >= 200 && info.delayMs <= 300, `first delay ~250 ms ±20 % (${info.delayMs})`)
    let linesAtReady: string[] = []
    const conn2Promise = server.connection(1)
    client.once('ready', () => {
      linesAtReady = server.connections[1].received.map((c) => c.line)
    })
    clock.advance(info.delayMs - 1)
    await tick()
    t.equal(server.connections.length, 1, 'not before the back-off delay')
    clock.advance(1)
    const conn2 = await conn2Promise
    await once(client, 'ready')
    t.same(linesAtReady, [
      `auth ${PASSWORD}`,
      'event json ALL',
      'filter Event-Name BACKGROUND_JOB',
      'filter Unique-ID chan-1',
    ])
    t.same(
      conn2.received.map((c) => c.line),
      linesAtReady,
      'nothing re-sent: no api, bgapi or sendmsg on the new connection',
    )
  },
)

t.test('reconnect back-off grows x2 to the cap, resets after ready; connect() resolves once it succeeds', async (t) => {
  const server = await FakeEslServer.start()
  server.password = PASSWORD
  t.teardown(() => server.close())
  const clock = new VirtualClock()
  const client = new EslClient({
    host: '127.0.0.1',
    port: server.port,
    password: PASSWORD,
    clock,
    reconnect: { initialMs: 100, maxMs: 500, factor: 2, jitter: 0 },
  })
  t.teardown(() => client.close())
  // The first 4 connections are dropped at once.
  let drops = 4
  server.greet = false
  server.server.on('connection', (s) => {
    if (drops > 0) {
      drops--
      s.destroy()
    } else s.write('Content-Type: auth/request\n\n')
  })
  const delays: number[] = []
  client.on('reconnecting', (i) => delays.push(i.delayMs))
  let resolved = false
  const p = client.connect().then(() => (resolved = true))
  for (let i = 0; i < 4; i++) {
    await until(() => delays.length === i + 1, `reconnecting #${i + 1}`)
    t.equal(resolved, false)
    clock.advance(delays[i])
  }
  await p
  t.same(delays, [100, 200, 400, 500])
  server.connections[4].socket.destroy()
  await until(() => delays.length === 5, 'reconnecting after ready')
  t.equal(delays[4], 100, 'attempts reset after a ready connection')
})

t.test("plain events with '%' garbage: decoded without throwing, the client keeps working", async (t) => {
  const { server, client } = await setup(t, { format: 'plain' })
  await client.connect()
  const conn = await server.connection(0)
  const got: EslEvent[] = []
  client.on('event', (e) => got.push(e))
  conn.write(
    FakeConnection.plainEvent({
      'Event-Name': 'CHANNEL_PARK',
      'Unique-ID': 'c1',
      variable_a: '100%',
      variable_b: '%E0%A4%A',
      variable_c: '%zz%%',
      variable_d: 'K%C3%B6%20Plus',
    }),
  )
  const p = client.api('status')
  await conn.nextCommand()
  conn.apiResponse('UP')
  t.equal(await p, 'UP')
  t.equal(got.length, 1)
  t.equal(got[0].variable('a'), '100%')
  t.equal(got[0].variable('b'), '\ufffd%A')
  t.equal(got[0].variable('c'), '%zz%%')
  t.equal(got[0].variable('d'), 'Kö Plus')
})

t.test('a repeated Event-Name: the decoded (last) one decides whether the event is wanted', async (t) => {
  const { server, client } = await setup(t, { events: ['CHANNEL_PARK'] })
  await client.connect()
  const conn = await server.connection(0)
  const got: EslEvent[] = []
  client.on('event', (e) => got.push(e))
  // Two Event-Name keys in one json object: JSON.parse, and so decoding, keeps the last.
  const raw = (json: string): string =>
    `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`
  conn.write(raw('{"Event-Name":"CHANNEL_PARK","Unique-ID":"u-1","Event-Name":"HEARTBEAT"}'))
  conn.write(raw('{"Event-Name":"CODEC","Unique-ID":"u-2","Event-Name":"CHANNEL_PARK"}'))
  conn.write(raw('{"Event-Name":"CHANNEL_PARK","Unique-ID":"u-3"}'))
  const p = client.api('status')
  await conn.nextCommand()
  conn.apiResponse('UP')
  t.equal(await p, 'UP', 'the reply after them is whole')
  t.same(
    got.map((e) => [e.name, e.uuid]),
    [
      ['CHANNEL_PARK', 'u-2'],
      ['CHANNEL_PARK', 'u-3'],
    ],
    'leading CODEC but last CHANNEL_PARK: delivered; leading CHANNEL_PARK but last HEARTBEAT: not',
  )
  t.equal(client.skippedEvents, 1, 'the HEARTBEAT one counted as skipped')
})

t.test(
  'reads into one buffer: a long burst handled in slices arrives whole and in order, reads after it too',
  async (t) => {
    const { server, client } = await setup(t, { events: ['CHANNEL_PARK'], sliceMs: 1 })
    await client.connect()
    const conn = await server.connection(0)
    const got: string[] = []
    client.on('event', (e) => {
      // A slow listener: the burst takes many slices, the socket is paused between them, and the reads that follow
      // land in the same buffer only once the frames of the one before are handled.
      const until = performance.now() + 0.02
      while (performance.now() < until);
      got.push(`${e.uuid}:${e.get('variable_pad')?.length}`)
    })
    const want: string[] = []
    for (let w = 0; w < 5; w++) {
      const events: Buffer[] = []
      for (let i = 0; i < 1000; i++) {
        const n = w * 1000 + i
        events.push(
          FakeConnection.jsonEvent({
            'Event-Name': 'CHANNEL_PARK',
            'Unique-ID': `u-${n}`,
            variable_pad: 'é'.repeat(n % 97),
          }),
        )
        want.push(`u-${n}:${n % 97}`)
      }
      conn.write(Buffer.concat(events))
    }
    const p = client.api('status')
    await conn.nextCommand()
    conn.apiResponse('UP')
    t.equal(await p, 'UP', 'the reply after the burst is whole')
    await until(() => got.length >= want.length, 'every event')
    t.equal(got.length, want.length)
    t.same(got, want, 'every event intact, in order')
  },
)

t.test('a 10 MB api body', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const p = client.api('show everything')
  await conn.nextCommand()
  const body = Buffer.alloc(10 * 1024 * 1024, 'x')
  body.write('\n\nContent-Type: command/reply\n\n', 5_000_000)
  conn.apiResponse(body)
  const text = await p
  t.equal(text.length, body.length)
  t.equal(text, body.toString())
})

t.test('100,000 events in one read; throwing and rejecting listeners are caught and logged', async (t) => {
  const { logger, lines } = sinkLogger()
  const { server, client } = await setup(t, { logger })
  await client.connect()
  const conn = await server.connection(0)
  let seen = 0
  client.on('event', (e) => {
    if (e.name !== 'HEARTBEAT') return
    seen++
    if (seen % 10_000 === 0) throw new Error('listener bug')
  })
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- an async listener that rejects, on purpose
  client.on('event', async () => {
    if (seen === 50_000) throw new Error('async listener bug')
  })
  const one = FakeConnection.jsonEvent({ 'Event-Name': 'HEARTBEAT', 'Event-Sequence': '1' })
  const all = Buffer.alloc(one.length * 100_000)
  for (let i = 0; i < 100_000; i++) one.copy(all, i * one.length)
  const p = client.api('status')
  await conn.nextCommand()
  conn.write(all)
  conn.apiResponse('UP')
  t.equal(await p, 'UP', 'the reply after 100,000 events still reaches its command')
  t.equal(seen, 100_000, 'every event delivered; the throwing listener did not stop the others')
  await tick()
  const errors = lines
    .map((l) => JSON.parse(l) as { msg: string })
    .filter((l) => /listener (threw|rejected)/.test(l.msg))
  t.equal(errors.filter((e) => e.msg === 'ESL listener threw').length, 10)
  t.equal(errors.filter((e) => e.msg === 'ESL listener rejected').length, 1)
})

t.test(
  'a burst is handled in slices: a timer due meanwhile runs before the burst ends (sliceMs 2, and 0)',
  async (t) => {
    const one = FakeConnection.jsonEvent({ 'Event-Name': 'HEARTBEAT', 'Event-Sequence': '1' })
    const all = Buffer.alloc(one.length * 2_000)
    for (let i = 0; i < 2_000; i++) one.copy(all, i * one.length)
    for (const sliceMs of [2, 0]) {
      const { server, client } = await setup(t, { sliceMs })
      await client.connect()
      const conn = await server.connection(0)
      let seen = 0
      let seenWhenTimerRan = -1
      client.on('event', (e) => {
        if (e.name !== 'HEARTBEAT') return
        // A real timer, due as soon as the loop turns (the test clock drives only the client's own timers).
        if (++seen === 1) setTimeout(() => (seenWhenTimerRan = seen), 0)
        // Each event takes 50 µs of work: a 2 ms slice is ~40 of them, one 64 KB read ~800.
        for (const end = performance.now() + 0.05; performance.now() < end;);
      })
      const p = client.api('status')
      await conn.nextCommand()
      conn.write(all)
      conn.apiResponse('UP')
      t.equal(await p, 'UP', `sliceMs ${sliceMs}: the reply after the burst still reaches its command`)
      t.equal(seen, 2_000, 'every event handled, before the reply that followed them')
      await until(() => seenWhenTimerRan !== -1, 'the timer')
      // Between two reads the loop turns anyway (libuv), so unsliced the timer waits for the first read's ~800 events.
      if (sliceMs > 0)
        t.ok(seenWhenTimerRan <= 400, `sliced: the timer ran after ${seenWhenTimerRan} events (≤ 400, half a read)`)
      else t.ok(seenWhenTimerRan > 400, `unsliced: the timer waited for a whole read (${seenWhenTimerRan} events)`)
      await client.close()
    }
  },
)

t.test('backpressure: writes wait for drain when the socket is full', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  conn.socket.pause() // FreeSWITCH stops reading
  const big = 'x'.repeat(64 * 1024)
  const ps: Array<Promise<string>> = []
  for (let i = 0; i < 300; i++) ps.push(client.api(`echo ${i} ${big}`))
  await until(() => client.bufferedWriteBytes > 0, 'the writer to hold data back')
  t.ok(
    client.bufferedWriteBytes > 1_000_000,
    `data held back (${client.bufferedWriteBytes} bytes) instead of piling on the socket`,
  )
  conn.socket.resume()
  for (let i = 0; i < 300; i++) {
    const c = await conn.nextCommand()
    t.ok(c.line.startsWith(`api echo ${i} `), `command ${i} in order`)
    conn.apiResponse(String(i))
  }
  t.same(
    await Promise.all(ps),
    ps.map((_, i) => String(i)),
  )
  t.equal(client.bufferedWriteBytes, 0)
})

t.test('a linger disconnect notice does not mean the socket closed; log/data is emitted as log', async (t) => {
  const { server, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  conn.write(
    'Content-Type: text/disconnect-notice\nControlled-Session-UUID: x\nContent-Disposition: linger\nChannel-Name: loopback/outbound-b\nLinger-Time: 2\nContent-Length: 0\n\n',
  )
  const text = '2026-11-25 17:41:54.595759 97.23% [INFO] switch_time.c:1436 Timezone reloaded 597 definitions\n'
  const logged = once(client, 'log')
  conn.write(`Content-Type: log/data\nContent-Length: ${Buffer.byteLength(text)}\nLog-Level: 6\nUser-Data: \n\n${text}`)
  const [log] = (await logged) as [{ level: number; text: string }]
  t.equal(log.level, 6)
  t.equal(log.text, text)
  t.equal(client.ready, true)
  const p = client.api('status')
  await conn.nextCommand()
  conn.apiResponse('UP')
  t.equal(await p, 'UP')
})

t.test('close(): sends exit, stops reconnecting, rejects a pending connect()', async (t) => {
  const { server, clock, client } = await setup(t)
  await client.connect()
  const conn = await server.connection(0)
  const disconnected = once(client, 'disconnected')
  await client.close()
  t.equal(conn.received.at(-1)?.line, 'exit')
  const [err] = await disconnected
  t.equal(err, undefined, "a requested close emits 'disconnected' without an error")
  clock.advance(60_000)
  await tick()
  t.equal(server.connections.length, 1)
  await t.rejects(client.connect(), { code: 'KOPLUS_ESL_DISCONNECTED' })

  const down = await FakeEslServer.start()
  const port = down.port
  await down.close()
  const c2 = new EslClient({ host: '127.0.0.1', port, password: PASSWORD, clock })
  const pending = c2.connect()
  await once(c2, 'reconnecting')
  await c2.close()
  await t.rejects(pending, { code: 'KOPLUS_ESL_DISCONNECTED' })
})

t.test('a password with a newline is refused up front (it would inject commands), without echoing it', async (t) => {
  const err = (() => {
    try {
      new EslClient({ host: '127.0.0.1', port: 1, password: 'abc\nevent plain ALL' })
    } catch (e) {
      return e as Error & { code: string }
    }
  })()
  t.equal(err?.code, 'KOPLUS_ESL_INVALID_COMMAND')
  t.notMatch(err?.message, 'abc')
})

t.test(
  'a frozen link (TCP open, no bytes) is noticed: one api status probe after the silence, dropped when nothing answers; pending commands rejected, not re-sent',
  async (t) => {
    const { logger, lines } = sinkLogger()
    const { server, clock, client } = await setup(t, { logger, idleProbeMs: 5000, idleProbeTimeoutMs: 3000 })
    await client.connect()
    const conn = await server.connection(0)
    const bg = client.bgapi('originate user/1000 &park()')
    t.equal((await conn.nextCommand()).line, 'bgapi originate user/1000 &park()')
    // The fake FreeSWITCH freezes here: the socket stays open and nothing more is written.
    clock.advance(4999)
    await tick()
    t.equal(client.idleProbes, 0, 'no probe before idleProbeMs of silence')
    clock.advance(1)
    t.equal((await conn.nextCommand()).line, 'api status', 'one probe after 5 s of silence')
    t.equal(client.idleProbes, 1)
    const disconnected = once(client, 'disconnected')
    const reconnecting = once(client, 'reconnecting')
    clock.advance(2999)
    await tick()
    t.equal(client.ready, true, 'still up before the probe deadline')
    clock.advance(1)
    const [reason] = (await disconnected) as [Error]
    t.type(reason, EslDisconnectedError)
    t.match(reason.message, /did not answer a probe within 3000 ms/)
    const e = (await bg.catch((x: unknown) => x)) as EslDisconnectedError
    t.equal(e.code, 'KOPLUS_ESL_DISCONNECTED', 'the bgapi sent on the dead link is rejected, for reconcile to decide')
    const info = (await reconnecting)[0] as { delayMs: number }
    clock.advance(info.delayMs)
    const conn2 = await server.connection(1)
    await once(client, 'ready')
    t.same(
      conn2.received.map((c) => c.line),
      [`auth ${PASSWORD}`, 'event json ALL'],
      'nothing re-sent on the new link',
    )
    const probeLines = lines
      .map((l) => JSON.parse(l) as { msg: string; level: number; probes?: number })
      .filter((l) => l.msg === 'ESL idle probe')
    t.same(
      probeLines.map((l) => [l.level, l.probes]),
      [[20, 1]],
      'the probe is counted in the log at debug',
    )
    t.ok(lines.some((l) => JSON.parse(l).msg === 'ESL link frozen: no reply to the idle probe; dropping it'))
  },
)

t.test(
  'idle probe: a link that answers stays up; traffic keeps the probe away; idleProbeMs 0 turns it off',
  async (t) => {
    const { server, clock, client } = await setup(t, { idleProbeMs: 5000, idleProbeTimeoutMs: 3000 })
    let drops = 0
    client.on('disconnected', () => drops++)
    await client.connect()
    const conn = await server.connection(0)
    for (let i = 0; i < 3; i++) {
      // Step time 1 s at a time; the probe is written synchronously, so pendingCommands shows it at once.
      let silentSteps = 0
      while (client.pendingCommands === 0 && silentSteps < 20) {
        clock.advance(1000)
        silentSteps++
      }
      t.equal(silentSteps, 5, `probe ${i + 1} after 5 s without a byte`)
      t.equal((await conn.nextCommand()).line, 'api status')
      conn.apiResponse('UP 0 years, 0 days\n')
      await until(() => client.pendingCommands === 0, 'the probe reply')
    }
    clock.advance(3000) // past the last deadline
    await tick()
    t.equal(client.idleProbes, 3, 'one probe per silence')
    t.equal(drops, 0, 'a link that answers is kept')
    t.equal(client.ready, true)

    // An event every 4 s (e.g. HEARTBEATs with a shorter event-heartbeat-interval): never 5 s of silence, no probe.
    const before = client.idleProbes
    for (let i = 0; i < 5; i++) {
      const got = once(client, 'event')
      conn.event({ 'Event-Name': 'HEARTBEAT', 'Core-UUID': 'x' })
      await got
      clock.advance(4000)
    }
    await tick()
    t.equal(client.idleProbes, before, 'no probe while bytes keep arriving')

    const off = await setup(t, { idleProbeMs: 0 })
    await off.client.connect()
    off.clock.advance(600_000)
    await tick()
    t.equal(off.client.idleProbes, 0, 'idleProbeMs 0: never probes')
    t.equal(off.client.ready, true)
  },
)
