/** Behaviour of the simulator's control API: dialplan, endpoints, originate, media, bridge, introspection. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import {
  FreeSwitchSimulator,
  makeWav,
  startControlServer,
  wavDurationMs,
  type SimEvent,
} from '../../src/simulator/index.js'
import { toneDurationMs } from '../../src/simulator/apps.js'
import { parseOriginate } from '../../src/simulator/originate.js'
import { urlEncode } from '../../src/simulator/serialize.js'
import { settle } from './capture-helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-sim-'))
const WELCOME = join(dir, 'welcome.wav')
const MOH = join(dir, 'moh.wav')
writeFileSync(WELCOME, makeWav(2000))
writeFileSync(MOH, makeWav(1000))

function setup(opts: ConstructorParameters<typeof FreeSwitchSimulator>[0] = {}) {
  const clock = new VirtualClock(Date.UTC(2026, 10, 25, 9, 0, 0))
  const sim = new FreeSwitchSimulator({ clock, ...opts })
  const evs: SimEvent[] = []
  sim.onEvent((e) => evs.push(e))
  const names = (uuid: string) => evs.filter((e) => e.uuid === uuid).map((e) => e.name)
  const header = (e: SimEvent, n: string) => e.headers.find(([k]) => k === n)?.[1]
  return { clock, sim, evs, names, header }
}

t.test('wav durations come from the RIFF header; tone_stream and silence_stream from their specs', async (t) => {
  t.equal(wavDurationMs(WELCOME), 2000)
  t.equal(wavDurationMs(join(dir, 'missing.wav')), undefined)
  t.equal(toneDurationMs('tone_stream://%(1000,500,440);loops=2'), 3000)
  t.equal(toneDurationMs('tone_stream://%(1000,0,440);loops=-1'), Infinity)
  t.equal(toneDurationMs('tone_stream://L=3;%(100,100,350,440)'), 600)
  t.equal(urlEncode('a b:c@d/e(f),+'), 'a%20b%3Ac%40d/e(f),%2B')
  t.equal(urlEncode('å'), '%C3%A5')
})

t.test('dialplan: queue numbers park unanswered with koplus_queue/tenant; feature codes; koplus-check', async (t) => {
  const { sim, names } = setup({ dialplan: { queueNumbers: ['5000', '4711'] } })
  const q = sim.placeCall({ to: '4711', from: '46701234567', callerName: 'Anna', domain: 'acme.example' })
  t.equal(q.state, 'parked')
  t.equal(q.variable('koplus_queue'), '4711')
  t.equal(q.variable('koplus_tenant'), 'acme.example')
  t.same(names(q.uuid), [
    'CHANNEL_CREATE',
    'CHANNEL_EXECUTE',
    'CHANNEL_EXECUTE_COMPLETE',
    'CHANNEL_EXECUTE',
    'CHANNEL_EXECUTE_COMPLETE',
    'CHANNEL_EXECUTE',
    'CHANNEL_PARK',
  ])
  const f = sim.placeCall({ to: '*715000', from: '1001', sipUser: '1001', domain: 'acme.example' })
  t.equal(f.variable('koplus_feature'), '*715000')
  t.equal(f.variable('koplus_tenant'), 'acme.example')
  t.equal(f.variable('sip_auth_username'), '1001')
  t.equal(f.variable('sip_auth_realm'), 'acme.example')
  const spoof = sim.placeCall({ to: '*71', from: '1001' })
  t.equal(spoof.variable('sip_auth_username'), undefined, 'no auth without sipUser')
  const c = sim.placeCall({ to: 'koplus-check', from: 'doctor' })
  t.equal(c.variable('koplus_check'), 'true')
  t.equal(c.state, 'parked')
  const none = sim.placeCall({ to: '999', from: '1' })
  t.equal(none.state, 'hungup')
  t.equal(none.hangupCause, 'NO_ROUTE_DESTINATION')
})

t.test(
  'endpoints: answer after N ms, never answer, busy, reject, not registered, unknown, hang up after',
  async (t) => {
    const { sim, clock, names, evs, header } = setup()
    sim.endpoint('1001', { answerAfterMs: 1500, registered: true })
    sim.endpoint('1002', { neverAnswer: true, registered: true })
    sim.endpoint('1003', { reject: 'USER_BUSY', registered: true })
    sim.endpoint('1004', { reject: 'CALL_REJECTED', registered: true })
    sim.endpoint('1005', { answerAfterMs: 100 })
    sim.endpoint('1006', { answerAfterMs: 0, hangupAfterMs: 4000, registered: true })
    sim.endpoint(/^sofia\/gateway\/mobile\//, { answerAfterMs: 500, pressKeys: { keys: '1', afterMs: 700 } })
    const vars = '{originate_timeout=3,ignore_early_media=true,koplus_role=agent}'

    const a = sim.originateAsync(`${vars}[origination_uuid=aaaaaaaa-0000-4000-8000-000000000001]user/1001 &park()`)
    await settle()
    clock.advance(1499)
    await settle()
    t.same(names('aaaaaaaa-0000-4000-8000-000000000001'), ['CHANNEL_CREATE', 'CHANNEL_PROGRESS'], 'ringing')
    clock.advance(1)
    t.equal(await a, '+OK aaaaaaaa-0000-4000-8000-000000000001\n')
    t.same(names('aaaaaaaa-0000-4000-8000-000000000001'), [
      'CHANNEL_CREATE',
      'CHANNEL_PROGRESS',
      'CHANNEL_ANSWER',
      'CHANNEL_EXECUTE',
      'CHANNEL_PARK',
    ])
    t.equal(sim.channel('aaaaaaaa-0000-4000-8000-000000000001')?.variables.get('koplus_role'), 'agent')

    const b = sim.originateAsync(`${vars}user/1002 &park()`)
    await settle()
    clock.advance(3000)
    t.equal(await b, '-ERR NO_ANSWER\n')
    t.equal(await sim.originateAsync(`${vars}user/1003 &park()`), '-ERR USER_BUSY\n')
    t.equal(await sim.originateAsync(`${vars}user/1004 &park()`), '-ERR CALL_REJECTED\n')
    const before = evs.length
    t.equal(await sim.originateAsync(`${vars}user/1005 &park()`), '-ERR USER_NOT_REGISTERED\n')
    t.equal(await sim.originateAsync(`${vars}user/9999 &park()`), '-ERR SUBSCRIBER_ABSENT\n')
    t.equal(evs.slice(before).filter((e) => e.name === 'CHANNEL_CREATE').length, 0, 'no channel for either')

    const d = sim.originateAsync(`${vars}[origination_uuid=dddddddd-0000-4000-8000-000000000001]user/1006 &park()`)
    await settle()
    t.equal(await d, '+OK dddddddd-0000-4000-8000-000000000001\n')
    clock.advance(4000)
    t.equal(sim.channel('dddddddd-0000-4000-8000-000000000001'), undefined, 'hung up 4 s after answering')

    const m = sim.originateAsync(
      `${vars}[origination_uuid=eeeeeeee-0000-4000-8000-000000000001]sofia/gateway/mobile/0701234567 &park()`,
    )
    await settle()
    clock.advance(500)
    t.equal(await m, '+OK eeeeeeee-0000-4000-8000-000000000001\n')
    clock.advance(700)
    const dtmf = evs.find((e) => e.name === 'DTMF' && e.uuid === 'eeeeeeee-0000-4000-8000-000000000001')
    t.equal(dtmf && header(dtmf, 'DTMF-Digit'), '1', 'the mobile confirmed with 1')
    t.same(
      sim.originates.map((o) => o.result?.trim().split(' ')[0]),
      ['+OK', '-ERR', '-ERR', '-ERR', '-ERR', '-ERR', '+OK', '+OK'],
    )
  },
)

t.test('originate: parallel legs (first answer wins, LOSE_RACE) and sequential | fallback', async (t) => {
  const { sim, clock, evs, header } = setup()
  sim.endpoint('2001', { answerAfterMs: 3000, registered: true })
  sim.endpoint('2002', { answerAfterMs: 1000, registered: true })
  sim.endpoint('2003', { neverAnswer: true, registered: true })
  const p = sim.originateAsync(
    '{originate_timeout=10}[origination_uuid=11111111-0000-4000-8000-000000000001]user/2001,[origination_uuid=11111111-0000-4000-8000-000000000002]user/2002,[origination_uuid=11111111-0000-4000-8000-000000000003]user/2003 &park()',
  )
  await settle()
  clock.advance(1000)
  t.equal(await p, '+OK 11111111-0000-4000-8000-000000000002\n')
  const losers = evs.filter((e) => e.name === 'CHANNEL_HANGUP')
  t.same(
    losers.map((e) => header(e, 'Hangup-Cause')),
    ['LOSE_RACE', 'LOSE_RACE'],
  )
  t.ok(losers.every((e) => header(e, 'variable_group_dial_status') === 'loser'))

  sim.endpoint('3001', { reject: 'USER_BUSY', registered: true })
  sim.endpoint('3002', { answerAfterMs: 200, registered: true })
  const s = sim.originateAsync(
    '{originate_timeout=5}user/3001|[origination_uuid=22222222-0000-4000-8000-000000000001]user/3002 &park()',
  )
  await settle()
  clock.advance(200)
  t.equal(await s, '+OK 22222222-0000-4000-8000-000000000001\n')

  const r = parseOriginate("{a=1,b='x,y'}[c=2]user/1@d,loopback/5000/lab|error/USER_BUSY &bridge(user/9)")
  t.same(
    [...r.globals],
    [
      ['a', '1'],
      ['b', 'x,y'],
    ],
  )
  t.same(
    r.groups.map((g) => g.map((l) => l.dial)),
    [['user/1@d', 'loopback/5000/lab'], ['error/USER_BUSY']],
  )
  t.same(r.app, { name: 'bridge', arg: 'user/9' })
})

t.test('a queue call: welcome, hold music, break, bridge, park_after_bridge, what the caller heard', async (t) => {
  const { sim, clock, names } = setup()
  sim.endpoint('1001', { answerAfterMs: 2000, registered: true })
  const call = sim.placeCall({ to: '5000', from: '46701234567' })
  sim.execute(call.uuid, 'answer')
  sim.execute(call.uuid, 'playback', WELCOME)
  sim.execute(call.uuid, 'playback', MOH, { loops: -1 })
  t.equal(call.state, 'answered')
  clock.advance(2000)
  clock.advance(2500) // hold music: 2.5 loops
  t.equal(sim.api(`uuid_setvar ${call.uuid} park_after_bridge true`), '+OK\n')
  t.equal(sim.api(`uuid_break ${call.uuid} all`), '+OK\n')
  const agent = sim.originateAsync(
    '{origination_uuid=44444444-0000-4000-8000-000000000001,originate_timeout=20}user/1001 &park()',
  )
  const bridged = call.waitForState('bridged')
  await settle()
  clock.advance(2000)
  t.equal(await agent, '+OK 44444444-0000-4000-8000-000000000001\n')
  t.equal(
    sim.api(`uuid_bridge ${call.uuid} 44444444-0000-4000-8000-000000000001`),
    '+OK 44444444-0000-4000-8000-000000000001\n',
  )
  await bridged
  t.equal(call.bridgedTo, '44444444-0000-4000-8000-000000000001')
  clock.advance(30_000)
  t.equal(sim.api('uuid_kill 44444444-0000-4000-8000-000000000001'), '+OK\n')
  t.equal(call.state, 'answered', 'park_after_bridge keeps the caller')
  t.equal(sim.channel(call.uuid)?.state, 'CS_PARK')
  const seq = names(call.uuid)
  t.same(seq.slice(-3), ['CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_PARK'])
  const heard = call.heard()
  const start = Date.UTC(2026, 10, 25, 9, 0, 0)
  t.same(
    heard.map((h) => [h.file.replace(dir + '/', ''), h.startedAt - start, (h.endedAt ?? 0) - start, !!h.interrupted]),
    [
      ['welcome.wav', 0, 2000, false],
      ['moh.wav', 2000, 3000, false],
      ['moh.wav', 3000, 4000, false],
      ['moh.wav', 4000, 4500, true],
      ['bridge:44444444-0000-4000-8000-000000000001', 6500, 36500, false],
    ],
  )
  t.equal(sim.execute(call.uuid, 'playback', join(dir, 'nope.wav')), true)
  t.equal(sim.channel(call.uuid)?.lastResponse, 'FILE NOT FOUND')
  sim.execute(call.uuid, 'playback', 'silence_stream://1500')
  clock.advance(1500)
  t.equal(call.heard().at(-1)?.file, 'silence_stream://1500')
  t.equal(call.heard().at(-1)?.endedAt, start + 38000)
  call.hangup()
  t.equal(call.state, 'hungup')
  t.equal(call.hangupCause, 'NORMAL_CLEARING')
})

t.test(
  'endless_playback: uuid_break only restarts it; uuid_bridge ends it and queued apps play during the bridge',
  async (t) => {
    const { sim, clock, evs, header } = setup()
    sim.endpoint('1001', { registered: true })
    const call = sim.placeCall({ to: '5000', from: '1' })
    sim.execute(call.uuid, 'answer')
    sim.execute(call.uuid, 'endless_playback', MOH)
    clock.advance(1500)
    sim.api(`uuid_break ${call.uuid} all`)
    sim.execute(call.uuid, 'playback', WELCOME)
    clock.advance(3000)
    t.notOk(
      call.heard().some((h) => h.file === WELCOME),
      'queued behind endless_playback',
    )
    call.pressKeys('5')
    t.notOk(
      evs.some((e) => e.name === 'DTMF'),
      'no DTMF during endless_playback',
    )
    t.equal(
      await sim.originateAsync('{origination_uuid=55555555-0000-4000-8000-000000000001}user/1001 &park()'),
      '+OK 55555555-0000-4000-8000-000000000001\n',
    )
    sim.api(`uuid_bridge ${call.uuid} 55555555-0000-4000-8000-000000000001`)
    const complete = evs.find(
      (e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'endless_playback',
    )
    t.equal(complete && header(complete, 'Application-Response'), 'PLAYBACK ERROR')
    t.equal(call.heard().at(-1)?.file, WELCOME, 'announcement plays during the bridge')
    t.equal(sim.channel(call.uuid)?.state, 'CS_SOFT_EXECUTE')
    clock.advance(2000)
    sim.api('uuid_kill 55555555-0000-4000-8000-000000000001')
    t.equal(call.state, 'hungup', 'without park_after_bridge the caller is hung up')
  },
)

t.test(
  'introspection: show channels lag, uuid_getvar/_undef_, uuid_exists, uuid_dump, show registrations',
  async (t) => {
    const { sim, clock } = setup({ showChannelsLagMs: 1000 })
    sim.register('1000')
    const call = sim.placeCall({ to: '5000', from: '46701234567' })
    t.equal(sim.api('show channels as json'), '{"row_count":0}', 'core db lags the events')
    clock.advance(1000)
    const rows = JSON.parse(sim.api('show channels as json')) as {
      row_count: number
      rows: Array<Record<string, string>>
    }
    t.equal(rows.row_count, 1)
    t.equal(rows.rows[0].uuid, call.uuid)
    t.equal(rows.rows[0].application, 'park')
    t.equal(sim.api('show channels count'), '\n1 total.\n')
    t.equal(sim.api(`uuid_getvar ${call.uuid} koplus_queue`), '5000')
    t.equal(sim.api(`uuid_getvar ${call.uuid} nope`), '_undef_')
    t.equal(sim.api('uuid_getvar 00000000-0000-4000-8000-000000000000 koplus_queue'), '-ERR No such channel!\n')
    t.equal(sim.api(`uuid_exists ${call.uuid}`), 'true')
    const dump = sim.api(`uuid_dump ${call.uuid}`)
    t.match(dump, /^Event-Name: CHANNEL_DATA\n[^]*\nvariable_koplus_queue: 5000\n/)
    t.ok(dump.endsWith('\n\n'))
    t.match(dump, /\nChannel-Call-State: RINGING\n/, 'an inbound call waiting unanswered is RINGING')
    const regs = JSON.parse(sim.api('show registrations as json')) as { rows: Array<Record<string, string>> }
    t.equal(regs.rows[0].reg_user, '1000')
    t.match(sim.api('sofia status profile internal reg'), /User: {7}\t1000@127\.0\.0\.2\n[^]*Total items returned: 1\n/)
    t.equal(sim.api('no_such_thing x'), '-ERR no_such_thing Command not found!\n')
  },
)

t.test('process entry and the HTTP control port', async (t) => {
  const { sim } = setup()
  const { server, port } = await startControlServer(sim)
  const post = async (path: string, body: unknown) =>
    (await (
      await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body: JSON.stringify(body) })
    ).json()) as Record<string, unknown>
  const { uuid } = (await post('/calls', { to: '5000', from: '46701234567' })) as { uuid: string }
  t.equal(sim.call(uuid)?.state, 'parked')
  const after = await post(`/calls/${uuid}/hangup`, {})
  t.equal(after.state, 'hungup')
  t.same(await post('/api', { command: 'uuid_exists x' }), { response: 'false' })
  await new Promise((r) => server.close(r))
})

t.test(
  'uuid_transfer re-runs the dialplan; the transfer app too; api originate holds the ESL connection',
  async (t) => {
    const { sim, clock } = setup({ dialplan: { queueNumbers: ['5000', '5001'] } })
    const call = sim.placeCall({ to: '5000', from: '1' })
    t.equal(sim.api(`uuid_transfer ${call.uuid} 5001 XML default`), '+OK\n')
    t.equal(call.variable('koplus_queue'), '5001')
    t.equal(call.state, 'parked')
    sim.execute(call.uuid, 'transfer', '*71 XML default')
    t.equal(call.variable('koplus_feature'), '*71')
    t.equal(sim.api('uuid_transfer 00000000-0000-4000-8000-000000000000 5001'), '-ERR No such channel!\n')

    sim.endpoint('1001', { answerAfterMs: 1000, registered: true })
    const port = await sim.listen(0)
    const { RawEsl } = await import('./capture-helpers.js')
    const esl = new RawEsl(port)
    await esl.command('auth ClueCon')
    const pending = esl.command(
      'api originate {origination_uuid=77777777-0000-4000-8000-000000000001}user/1001 &park()',
    )
    esl.socket.write('api uuid_exists 77777777-0000-4000-8000-000000000001\n\n')
    await settle()
    t.equal(esl.frames.filter((f) => f.headers['Content-Type'] === 'api/response').length, 0, 'nothing answered yet')
    clock.advance(1000)
    const first = await pending
    t.equal(first.body?.toString(), '+OK 77777777-0000-4000-8000-000000000001\n')
    const next = await esl.waitFrame((f) => f.headers['Content-Type'] === 'api/response', esl.frames.indexOf(first) + 1)
    t.equal(next.body?.toString(), 'true', 'the next command ran after the originate')
    esl.end()
    await sim.close()
  },
)
