/**
 * Replays the daemon side (tx) of the captured call scenarios against the simulator on a virtual
 * clock, with the outside world (caller, far-end actions) scripted, and compares the structure of
 * what comes back with what FreeSWITCH 1.10.12 sent: reply frames, the per-channel event sequence
 * of the queue leg and of every agent leg the client named, and the header skeleton of each event type.
 */
import t, { type Test } from 'tap'
import { VirtualClock } from '../../src/util/clock.js'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/index.js'
import {
  captureDurationMs,
  captureFrames,
  captureTx,
  channelSequence,
  CORE_EVENTS,
  events,
  headerSkeleton,
  RawEsl,
  replySkeleton,
  replayTx,
  settle,
  type DecodedEvent,
} from './capture-helpers.js'

const SOUNDS = '/usr/local/freeswitch/sounds'
const FILES = {
  [`${SOUNDS}/tone-440-1s-8k.wav`]: 1000,
  [`${SOUNDS}/welcome.wav`]: 2000,
  [`${SOUNDS}/1.wav`]: 500,
  [`${SOUNDS}/2.wav`]: 500,
  [`${SOUNDS}/3.wav`]: 500,
}

/** Queue legs of a capture: channels whose events carry variable_koplus_queue, in order of appearance. */
function queueLegs(evs: DecodedEvent[]): string[] {
  const out: string[] = []
  for (const e of evs) {
    const u = e.get('Unique-ID')
    if (u && e.get('variable_koplus_queue') && !out.includes(u)) out.push(u)
  }
  return out
}

/** UUIDs the client chose itself (origination_uuid=...) in the tx. */
function chosenUuids(tx: Array<{ text: string }>): string[] {
  return [
    ...tx
      .map((x) => x.text)
      .join('')
      .matchAll(/origination_uuid=([0-9a-f-]{36})/g),
  ].map((m) => m[1])
}

/** Channel-State / Channel-Call-State / Answer-State carried by each core event of a channel. */
function stateSequence(evs: DecodedEvent[], uuid: string): string[] {
  return evs
    .filter((e) => e.get('Unique-ID') === uuid && CORE_EVENTS.has(e.name))
    .map((e) => `${e.name} ${e.get('Channel-State')} ${e.get('Channel-Call-State')} ${e.get('Answer-State')}`)
    .map((s) =>
      s
        // The simulated caller is a SIP leg, whose answer follows early media (call state EARLY, as in
        // inbound-sip-caller); the captured queue leg is a loopback leg (RINGING).
        .replace(/^CHANNEL_ANSWER (\S+) EARLY/, 'CHANNEL_ANSWER $1 RINGING')
        // Whether a loopback a-leg reports ringing before or after it reaches CS_CONSUME_MEDIA is a race.
        // (and a refusal may reach a SIP leg still in CS_INIT: seen in the json run, not the plain one).
        .replace(/^CHANNEL_PROGRESS CS_ROUTING/, 'CHANNEL_PROGRESS CS_CONSUME_MEDIA')
        .replace(/^CHANNEL_HANGUP CS_INIT/, 'CHANNEL_HANGUP CS_CONSUME_MEDIA'),
    )
}

interface World {
  sim: FreeSwitchSimulator
  clock: VirtualClock
  calls: SimCall[]
}

async function runScenario(
  t: Test,
  name: string,
  opts: {
    calls?: number
    /** World actions before tx write i. */
    before?: (i: number, w: World) => void | Promise<void>
    setup?: (sim: FreeSwitchSimulator) => void
    /** Channel sequences to compare: defaults to queue legs + client-chosen UUIDs. */
    skipHeaderCheck?: string[]
  } = {},
): Promise<{ sim: FreeSwitchSimulator; frames: RawEsl['frames']; w: World }> {
  const clock = new VirtualClock(Date.UTC(2026, 10, 25, 17, 45, 0))
  const sim = new FreeSwitchSimulator({ clock, fileDurations: FILES })
  opts.setup?.(sim)
  const port = await sim.listen(0)
  const esl = new RawEsl(port)
  const w: World = { sim, clock, calls: [] }
  const real = captureFrames(name)
  const realEvents = events(real)
  const realQueue = queueLegs(realEvents)
  const tx = captureTx(name)
  await esl.waitFrame((f) => f.headers['Content-Type'] === 'auth/request')
  const nCalls = opts.calls ?? realQueue.length
  const map = (s: string): string => {
    realQueue.forEach((u, i) => {
      if (w.calls[i]) s = s.split(u).join(w.calls[i].uuid)
    })
    return s
  }
  await replayTx(esl, clock, tx, {
    map,
    before: async (i) => {
      // The caller dials in right after the client subscribed (the queue legs park before any tx).
      if (i === 2)
        for (let k = w.calls.length; k < Math.min(nCalls, 1); k++)
          w.calls.push(sim.placeCall({ to: '5000', from: '15551230001', callerName: 'Lab Caller' }))
      await opts.before?.(i, w)
      await settle()
    },
  })
  await sim.close()
  const simEvents = esl.events()
  t.same(replySkeleton(esl.frames), replySkeleton(real), 'same reply frames')
  const pairs: Array<[string, string, string]> = realQueue
    .map((u, i): [string, string, string] => [`queue leg ${i + 1}`, u, w.calls[i]?.uuid ?? '?'])
    .concat(chosenUuids(tx).map((u): [string, string, string] => [`leg ${u.slice(0, 8)}`, u, u]))
  for (const [label, realUuid, simUuid] of pairs) {
    t.same(channelSequence(simEvents, simUuid), channelSequence(realEvents, realUuid), `${label}: event sequence`)
    t.same(
      stateSequence(simEvents, simUuid),
      stateSequence(realEvents, realUuid),
      `${label}: channel/call/answer states`,
    )
    // Header skeleton of each event type, first occurrence.
    const seen = new Set<string>()
    for (const e of simEvents.filter((x) => x.get('Unique-ID') === simUuid)) {
      if (seen.has(e.name) || opts.skipHeaderCheck?.includes(e.name)) continue
      seen.add(e.name)
      const r = realEvents.find((x) => x.get('Unique-ID') === realUuid && x.name === e.name)
      if (r) t.same(headerSkeleton(e), headerSkeleton(r), `${label}: ${e.name} header names`)
    }
  }
  return { sim, frames: esl.frames, w }
}

for (const fmt of ['plain', 'json']) {
  for (const variant of ['', '-hab', '-pab']) {
    t.test(`queue-call${variant} (${fmt})`, async (t) => {
      const { w } = await runScenario(t, `inbound-queue-call${variant}.${fmt}`)
      const call = w.calls[0]
      t.equal(call.state, 'hungup')
      const heard = call.heard().map((h) => h.file.replace(SOUNDS + '/', ''))
      t.equal(heard[0], 'welcome.wav')
      t.ok(heard.includes('1.wav') && heard.includes('2.wav'), 'queued announcement played')
      t.ok(
        heard.some((h) => h.startsWith('bridge:')),
        'was bridged',
      )
      if (variant === '-pab') t.ok(heard.includes('3.wav'), 'played 3.wav after the agent left')
    })
  }

  t.test(`moh-break (${fmt})`, async (t) => {
    await runScenario(t, `inbound-moh-break.${fmt}`)
  })

  t.test(`originate-failures (${fmt})`, async (t) => {
    const { sim } = await runScenario(t, `inbound-originate-failures.${fmt}`, {
      calls: 0,
      setup: (s) => s.endpoint('1001', {}),
    })
    t.same(
      sim.originates.map((o) => o.result),
      [
        '-ERR NO_ANSWER\n',
        '-ERR SUBSCRIBER_ABSENT\n',
        '-ERR USER_NOT_REGISTERED\n',
        '-ERR USER_BUSY\n',
        '-ERR CALL_REJECTED\n',
        '-ERR USER_BUSY\n',
        '-ERR CALL_REJECTED\n',
      ],
    )
  })

  t.test(`parallel-ring (${fmt})`, async (t) => {
    const { sim, frames } = await runScenario(t, `inbound-parallel-ring.${fmt}`, { calls: 0 })
    const evs = events(frames)
    const losers = evs.filter((e) => e.name === 'CHANNEL_HANGUP' && e.get('Hangup-Cause') === 'LOSE_RACE')
    t.ok(losers.length >= 2, 'losers hung up with LOSE_RACE')
    t.ok(
      losers.some((e) => e.get('variable_group_dial_status') === 'loser'),
      'group_dial_status=loser',
    )
    t.match(sim.originates[0].result, /^\+OK [0-9a-f-]{36}\n$/)
    t.equal(sim.originates[1].result, '-ERR ORIGINATOR_CANCEL\n')
  })

  t.test(`abandon (${fmt})`, async (t) => {
    const { w } = await runScenario(t, `inbound-abandon.${fmt}`, {
      before: async (i, w) => {
        if (i === 4) {
          // 1) the answered caller hangs up (BYE); 2) a second caller cancels before any answer.
          w.clock.advance(2000)
          w.calls[0].hangup()
          await settle()
          w.calls.push(w.sim.placeCall({ to: '5000', from: '15551230001', callerName: 'Lab Caller' }))
          await settle()
          w.clock.advance(1000)
          w.calls[1].hangup()
        }
      },
    })
    t.equal(w.calls[0].hangupCause, 'NORMAL_CLEARING')
    t.equal(w.calls[1].hangupCause, 'ORIGINATOR_CANCEL')
  })

  t.test(`dtmf (${fmt})`, async (t) => {
    const { frames, w } = await runScenario(t, `inbound-dtmf.${fmt}`, {
      before: async (i, w) => {
        const c = w.calls[0]
        // world: keys while welcome plays ('1' then '*'), while the '#'-terminated one plays ('5' then '#'),
        // during endless_playback ('12#'), and while parked idle after uuid_park ('9').
        if (i === 4) {
          c.pressKeys('1')
          w.clock.advance(200)
          c.pressKeys('*')
        }
        if (i === 6) {
          c.pressKeys('5')
          w.clock.advance(200)
          c.pressKeys('#')
        }
        if (i === 7) {
          w.clock.advance(1000)
          c.pressKeys('12#')
        }
        if (i === 8) {
          w.clock.advance(2000)
          c.pressKeys('9')
          w.clock.advance(1000)
          c.hangup()
        }
      },
    })
    const digits = events(frames)
      .filter((e) => e.name === 'DTMF' && e.get('Unique-ID') === w.calls[0].uuid)
      .map((e) => e.get('DTMF-Digit'))
    t.same(digits, ['1', '*', '5', '#', '1', '9'], "none during endless_playback; only '1' of '12#' after uuid_park")
  })
}

for (const fmt of ['plain', 'json']) {
  t.test(`record (${fmt}): '#' terminator, silence, time limit`, async (t) => {
    const { frames, w } = await runScenario(t, `inbound-record.${fmt}`, {
      before: async (i, w) => {
        if (i === 5) {
          w.clock.advance(1450)
          w.calls[0].pressKeys('#')
        }
        if (i === 6) w.calls[0].talk(true)
      },
    })
    const stops = events(frames).filter((e) => e.name === 'RECORD_STOP' && e.get('Unique-ID') === w.calls[0].uuid)
    t.same(
      stops.map((e) => e.get('variable_record_ms')),
      ['1450', '0', '5000'],
    )
    t.same(
      stops.map((e) => e.get('variable_silence_hits_exhausted')),
      ['false', 'true', 'false'],
    )
    t.equal(stops[0].get('variable_playback_terminator_used'), '#')
  })
}

t.test('registration: sofia::register / unregister / expire with the captured header names', async (t) => {
  const clock = new VirtualClock(Date.UTC(2026, 10, 25, 17, 46, 0))
  const sim = new FreeSwitchSimulator({ clock })
  const port = await sim.listen(0)
  const esl = new RawEsl(port)
  await esl.command('auth ClueCon')
  await esl.command('event plain CUSTOM sofia::register sofia::unregister sofia::expire')
  sim.register('1000')
  sim.unregister('1000')
  sim.register('1000', 10)
  clock.advance(90_000)
  sim.expire('1000')
  sim.placeCall({ to: '5000', from: '1' }) // CHANNEL_* events are not subscribed
  await esl.waitFrame((f) => String(f.body).includes('sofia%3A%3Aexpire'))
  await sim.close()
  const mine = events(esl.frames)
  const real = events(captureFrames('inbound-registration.plain')).filter((e) => e.name === 'CUSTOM')
  t.same(
    mine.map((e) => e.get('Event-Subclass')),
    real.map((e) => e.get('Event-Subclass')),
  )
  t.same(mine.map(headerSkeleton), real.map(headerSkeleton))
  const exp = mine[3]
  t.equal(
    Number(exp.get('expires')),
    Math.floor(Date.UTC(2026, 10, 25, 17, 46, 10) / 1000),
    'expires is an absolute epoch',
  )
})

t.test('reconnect: a connection closing without exit leaves the call; a new one finds it', async (t) => {
  const clock = new VirtualClock()
  const sim = new FreeSwitchSimulator({ clock, fileDurations: FILES })
  const port = await sim.listen(0)
  const a = new RawEsl(port)
  await a.command('auth ClueCon')
  await a.command('event json ALL')
  const call = sim.placeCall({ to: '5000', from: '46701234567', domain: 'acme' })
  await call.waitForState('parked')
  await a.command(`sendmsg ${call.uuid}\ncall-command: execute\nexecute-app-name: answer`)
  await a.command(
    `sendmsg ${call.uuid}\ncall-command: execute\nexecute-app-name: endless_playback\nexecute-app-arg: ${SOUNDS}/tone-440-1s-8k.wav`,
  )
  a.socket.destroy()
  await a.closed
  clock.advance(2000)
  await settle()
  t.equal(call.state, 'answered', 'call unaffected')
  const b = new RawEsl(port)
  await b.command('auth ClueCon')
  const list = JSON.parse((await b.command('api show channels as json')).body!.toString()) as {
    row_count: number
    rows: Array<{ uuid: string; application: string }>
  }
  t.equal(list.row_count, 1)
  t.equal(list.rows[0].application, 'endless_playback')
  const dump = JSON.parse((await b.command(`api uuid_dump ${list.rows[0].uuid} json`)).body!.toString()) as Record<
    string,
    string
  >
  t.equal(dump['Event-Name'], 'CHANNEL_DATA')
  t.equal(dump.variable_koplus_queue, '5000')
  t.equal(dump.variable_koplus_tenant, 'acme')
  t.equal((await b.command(`api uuid_break ${call.uuid} all`)).body!.toString(), '+OK\n')
  t.equal(call.state, 'answered', 'uuid_break all does not end endless_playback')
  t.equal((await b.command(`api uuid_kill ${call.uuid}`)).body!.toString(), '+OK\n')
  t.equal(call.state, 'hungup')
  t.equal((await b.command(`api uuid_exists ${call.uuid}`)).body!.toString(), 'false')
  b.end()
  await sim.close()
})

for (const fmt of ['plain', 'json']) {
  t.test(`reconnect-1/2 (${fmt}): calls survive a connection lost without exit`, async (t) => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 25, 17, 50, 0))
    const sim = new FreeSwitchSimulator({ clock, fileDurations: FILES })
    const port = await sim.listen(0)
    const real1 = captureFrames(`inbound-reconnect-1.${fmt}`)
    const real2 = captureFrames(`inbound-reconnect-2.${fmt}`)
    const [queueUuid] = queueLegs(events(real1))
    let call: SimCall | undefined
    const map = (s: string): string => (call ? s.split(queueUuid).join(call.uuid) : s)
    const a = new RawEsl(port)
    await a.waitFrame((f) => f.headers['Content-Type'] === 'auth/request')
    const t0 = clock.now()
    await replayTx(a, clock, captureTx(`inbound-reconnect-1.${fmt}`), {
      map,
      before: (i) => {
        if (i === 2) call = sim.placeCall({ to: '5000', from: '15551230001', callerName: 'Lab Caller' })
      },
    })
    // The capture's client stayed connected a while after its last command, then dropped the socket.
    clock.runUntil(t0 + captureDurationMs(`inbound-reconnect-1.${fmt}`))
    await settle()
    a.socket.destroy()
    await a.closed
    clock.advance(2000)
    await settle()
    t.equal(call!.state, 'answered', 'the call is untouched by the lost connection')
    const b = new RawEsl(port)
    await b.waitFrame((f) => f.headers['Content-Type'] === 'auth/request')
    await replayTx(b, clock, captureTx(`inbound-reconnect-2.${fmt}`), { map })
    await sim.close()
    t.same(replySkeleton(a.frames), replySkeleton(real1), 'connection 1 replies (no bye, no disconnect notice)')
    t.same(replySkeleton(b.frames), replySkeleton(real2), 'connection 2 replies')
    t.same(
      channelSequence(a.events(), call!.uuid),
      channelSequence(events(real1), queueUuid),
      'connection 1: queue leg events',
    )
    t.same(
      channelSequence(b.events(), call!.uuid),
      channelSequence(events(real2), queueUuid),
      'connection 2: queue leg events',
    )
    const dumps = b.frames.filter((f) => f.headers['Content-Type'] === 'api/response').map((f) => f.body!.toString())
    const list = JSON.parse(dumps[0]) as { rows: Array<Record<string, string>> }
    const realList = JSON.parse(
      real2.filter((f) => f.headers['Content-Type'] === 'api/response').map((f) => f.body!.toString())[0],
    ) as { rows: Array<Record<string, string>> }
    t.same(Object.keys(list.rows[0]), Object.keys(realList.rows[0]), 'show channels as json: same columns')
    const dump = JSON.parse(dumps[2]) as Record<string, string>
    t.equal(dump.variable_koplus_queue, '5000')
    t.equal(dump['Event-Calling-Function'], 'uuid_dump_function')
  })
}

t.test('introspection: show calls / show channels as json have the captured columns', async (t) => {
  const real = captureFrames('inbound-introspection.json')
    .filter((f) => f.headers['Content-Type'] === 'api/response')
    .map((f) => f.body!.toString())
    .filter((b) => b.startsWith('{"row_count":') && b.includes('"rows"'))
    .map((b) => JSON.parse(b) as { rows: Array<Record<string, string>> })
  const realChannels = real.find((r) => 'application' in r.rows[0])!
  const realCalls = real.find((r) => 'b_uuid' in r.rows[0])!
  const clock = new VirtualClock()
  const sim = new FreeSwitchSimulator({ clock, fileDurations: FILES })
  sim.endpoint('1000', { registered: true })
  const call = sim.placeCall({ to: '5000', from: '15551230001' })
  sim.execute(call.uuid, 'answer')
  await sim.originateAsync('{origination_uuid=88888888-0000-4000-8000-000000000001}user/1000 &park()')
  sim.api(`uuid_bridge ${call.uuid} 88888888-0000-4000-8000-000000000001`)
  const channels = JSON.parse(sim.api('show channels as json')) as { rows: Array<Record<string, string>> }
  const calls = JSON.parse(sim.api('show calls as json')) as { row_count: number; rows: Array<Record<string, string>> }
  t.same(Object.keys(channels.rows[0]), Object.keys(realChannels.rows[0]))
  t.same(Object.keys(calls.rows[0]), Object.keys(realCalls.rows[0]))
  t.equal(calls.row_count, 1, 'a bridged pair is one call')
  t.equal(calls.rows[0].b_uuid, '88888888-0000-4000-8000-000000000001')
  call.hangup()
  t.equal(call.variable('sip_hangup_disposition'), 'recv_bye')
  t.ok(Number(call.variable('billsec')) >= 0)
  await sim.close()
})
