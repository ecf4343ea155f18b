/**
 * Issue 9 (hardening) §4, the fault suite: the real daemon process against the FreeSWITCH simulator over TCP (through
 * a proxy that can cut or freeze the link), under steady seeded random traffic, through these faults:
 * - kill -9 of the daemon at random moments (5 rounds), started again on the same database after a random down time;
 * - the ESL link dropped (no `exit`, like a network failure) and restored;
 * - the ESL link frozen (open but silent, like a hung switch or a dead NAT entry);
 * - FreeSWITCH (the simulator) restarted: its calls are gone, a new switch listens on the same port.
 * After each: no caller lost (every caller is connected once, hangs up on its own, or still waits), none connected
 * twice, the waiting ones served in their order, every record of an ended call closed, PRAGMA integrity_check ok.
 * The figures are printed (t.comment). Randomness: mulberry32 with a fixed seed (KOPLUS_FAULT_SEED to change it).
 * The random moments of the faults are awaited conditions, not sleeps: a kill after n more callers connected, the
 * link cut or the switch restarted after the n-th next call step, the daemon down for n call steps (n drawn from
 * the seed); only the traffic itself (callers' arrival and patience) is paced on the wall clock.
 *
 * Agents hang up on their own after talking, so with a daemon killed mid-conversation an agent often hangs up while
 * no daemon is connected: the caller is parked again by park_after_bridge (capture inbound-queue-call-pab) and must
 * be ended, not offered again.
 */
import t, { type Test } from 'tap'
import { TcpProxy } from '../helpers/tcp-proxy.js'
import { rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import { Store } from '../../src/store/index.js'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import { DaemonProcess, writeConfig } from '../helpers/daemon-process.js'
import { seed, until } from '../helpers/journey-fixture.js'

const SEED = Number(process.env.KOPLUS_FAULT_SEED ?? 20261204)
const KILL_ROUNDS = 5
const AGENTS = ['1001', '1002', '1003']

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const rand = prng(SEED)
const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Channel events that mark a step of a call (a caller parked, a leg answered, a bridge, a hang-up). */
const CALL_STEPS = new Set(['CHANNEL_PARK', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_HANGUP'])

/**
 * A random moment that is an awaited condition, not a sleep: resolves right after the n-th next call step on the
 * current switch (a fault then lands just after an event the daemon must handle or has just handled).
 */
function afterCallSteps(n: number, steps: ReadonlySet<string> = CALL_STEPS, timeoutMs = 15_000): Promise<void> {
  const s = sim
  return new Promise((resolve, reject) => {
    let seen = 0
    const off = s.onEvent((ev) => {
      if (!steps.has(ev.name) || ++seen < n) return
      off()
      clearTimeout(timer)
      resolve()
    })
    const timer = setTimeout(
      () => (off(), reject(new Error(`only ${seen} of ${n} call steps within ${timeoutMs} ms`))),
      timeoutMs,
    )
  })
}

/** The caller's call is over: hung up, or gone with the switch that was restarted. */
const isOver = (c: Caller): boolean => c.call.channel.hungUp || !!c.droppedBySwitch

interface Caller {
  call: SimCall
  sim: FreeSwitchSimulator
  placedAt: number
  /** The test hung the caller up: before a connection (abandon) or during it. */
  selfHangup?: 'waiting' | 'talking'
  /** FreeSWITCH restarted under the call. */
  droppedBySwitch?: boolean
  bridges: number
}

const seeded = await seed(
  [{ number: '5000', settings: { ringTimeSec: 4 } }],
  AGENTS.map((extension) => ({ extension, loggedIn: ['5000'] })),
)
const db = await Store.open(seeded.dbPath)
const callers: Caller[] = []
const byUuid = new Map<string, Caller>()
let sim = await startSwitch()
const simPort = (sim as FreeSwitchSimulator & { port?: number }).port!
const proxy = new TcpProxy(simPort)
// a frozen link is noticed after 1 s of silence plus 1 s without an answer to the probe (defaults 5 s + 3 s)
const configPath = writeConfig(seeded.dir, {
  dbPath: seeded.dbPath,
  fsPort: await proxy.listen(),
  idleProbeSeconds: 1,
  idleProbeTimeoutSeconds: 1,
})
let daemon = new DaemonProcess(configPath)
let traffic = true
const figures = {
  killRounds: 0,
  killedWhileWaiting: 0,
  killedWhileTalking: 0,
  agentHungUpWhileDown: 0,
  startMs: [] as number[],
  switchDropped: 0,
}

/** A switch with the three agents' phones; each agent answers after a while and hangs up after talking. */
async function startSwitch(port = 0): Promise<FreeSwitchSimulator> {
  // `show channels` lags the events by up to a second on a real switch (capture inbound-introspection).
  const s = new FreeSwitchSimulator({ sipDomain: 'default', heartbeatMs: 1000, showChannelsLagMs: 1000 })
  const p = await s.listen(port, '127.0.0.1')
  ;(s as FreeSwitchSimulator & { port?: number }).port = p
  AGENTS.forEach((a, i) =>
    s.endpoint(a, { registered: true, answerAfterMs: 80 + i * 60, hangupAfterMs: 350 + i * 250 }),
  )
  s.onEvent((ev) => {
    if (ev.name !== 'CHANNEL_BRIDGE') return
    const a = ev.headers.find(([k]) => k === 'Bridge-A-Unique-ID')?.[1]
    const c = a ? byUuid.get(a) : undefined
    if (c) c.bridges++
  })
  return s
}

t.teardown(async () => {
  traffic = false
  await daemon.stop()
  await proxy.close()
  await sim.close()
  await db.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})

/** Steady traffic: a caller every 250–600 ms; a fifth give up while waiting, some hang up while talking. */
async function generate(): Promise<void> {
  let n = 0
  while (traffic) {
    const s = sim
    const call = s.placeCall({ to: '5000', from: `0709${String(++n).padStart(6, '0')}` })
    const c: Caller = { call, sim: s, placedAt: Date.now(), bridges: 0 }
    callers.push(c)
    byUuid.set(call.uuid, c)
    const r = rand()
    if (r < 0.2) {
      const after = between(300, 2500)
      setTimeout(() => {
        if (!call.channel.hungUp && c.bridges === 0 && c.sim === sim) {
          c.selfHangup = 'waiting'
          call.hangup()
        }
      }, after)
    } else if (r < 0.3) {
      call.sim
        .waitFor(() => c.bridges > 0 || call.channel.hungUp, 60_000)
        .then(
          () =>
            setTimeout(
              () => {
                if (!call.channel.hungUp && call.channel.bridge && c.sim === sim) {
                  c.selfHangup = 'talking'
                  call.hangup()
                }
              },
              between(100, 300),
            ),
          () => undefined,
        )
    }
    await sleep(between(250, 600))
  }
}

/** The callers among `cs` whose call record exists and is not closed (no outcome). */
async function openRecords<C extends { call: { uuid: string } }>(cs: C[]): Promise<C[]> {
  const open: C[] = []
  for (const c of cs) {
    const r = await db.calls.find(c.call.uuid)
    if (r && r.outcome == null) open.push(c)
  }
  return open
}

/** Callers connected so far, as the daemon recorded them. */
const connects = async (): Promise<number> => (await db.events.list({ event: 'CONNECT', limit: 100_000 })).length

const rebuilds = (d: DaemonProcess) => d.lines.filter((l) => /^rebuilt the view/.test(l.msg)).length
async function rebuiltAgain(d: DaemonProcess, before: number, timeoutMs = 30_000): Promise<void> {
  await until(() => rebuilds(d) > before, timeoutMs, 'a rebuild')
}

/** The invariants, checked after each fault. Returns the figures. */
async function check(t: Test, label: string): Promise<void> {
  // Every ended call's record gets closed (give the daemon a moment for the last hang-ups).
  const ended = () => callers.filter(isOver)
  // (A caller who came and went while no daemon was connected has no record at all: nothing to close.)
  const open = async () =>
    (await openRecords(ended())).map(
      (c) => `${c.call.uuid} ${c.selfHangup ?? ''} bridges ${c.bridges} ${c.call.hangupCause}`,
    )
  await until(async () => (await open()).length === 0, 5000, 'records of ended calls closed').catch(() => undefined)
  t.same(await open(), [], `${label}: every ended call's record is closed`)
  const twice = callers.filter((c) => c.bridges > 1).map((c) => `${c.call.uuid} ×${c.bridges}`)
  t.same(twice, [], `${label}: nobody connected twice`)
  if (process.env.KOPLUS_FAULT_DEBUG)
    for (const c of callers.filter((c) => c.bridges > 1))
      t.comment(
        daemon.lines
          .filter((l) => JSON.stringify(l).includes(c.call.uuid))
          .map((l) => `${String(l.time)} ${String(l.msg)} ${JSON.stringify(l).slice(0, 300)}`)
          .join('\n'),
      )
  const lost = ended()
    .filter((c) => c.bridges === 0 && !c.selfHangup && !c.droppedBySwitch)
    .map((c) => `${c.call.uuid} ${c.call.hangupCause}`)
  t.same(lost, [], `${label}: no caller lost (hung up by koplus without a connection)`)
  t.same(orderViolations(), [], `${label}: callers offered in their queue order`)
  const check = new Database(seeded.dbPath, { readonly: true, fileMustExist: true })
  try {
    t.equal(check.pragma('integrity_check', { simple: true }), 'ok', `${label}: PRAGMA integrity_check ok`)
  } finally {
    check.close()
  }
}

/**
 * Callers served out of their queue order: B was offered before A although A had joined the queue earlier and was
 * still waiting when B was offered (A's first offer came later). Join times are koplus_joined_at (kept across
 * restarts); offers are the switch's originates.
 */
function orderViolations(): string[] {
  const firstOffer = new Map<string, number>()
  for (const s of new Set(callers.map((c) => c.sim))) {
    for (const o of s.originates) {
      const id = /koplus_call=([0-9a-f-]+)/.exec(o.arg)?.[1]
      if (id && !firstOffer.has(id)) firstOffer.set(id, o.at)
    }
  }
  const offered = callers
    .map((c) => ({
      uuid: c.call.uuid,
      joined: Number(c.call.variable('koplus_joined_at')),
      at: firstOffer.get(c.call.uuid),
    }))
    .filter((x): x is { uuid: string; joined: number; at: number } => x.at !== undefined && x.joined > 0)
    .sort((a, b) => a.joined - b.joined)
  const bad: string[] = []
  for (let i = 0; i < offered.length; i++) {
    for (let j = i + 1; j < offered.length; j++) {
      const a = offered[i]
      const b = offered[j]
      if (b.joined > a.joined && b.at < a.at && a.joined <= b.at)
        bad.push(`${b.uuid} (joined ${b.joined - a.joined} ms after ${a.uuid}) was offered ${a.at - b.at} ms before it`)
    }
  }
  return bad
}

const start = Date.now()
await rebuiltAgain(daemon, 0, 30_000)
void generate()

await t.test(
  `kill -9 of the daemon at random moments during traffic (${KILL_ROUNDS} rounds, seed ${SEED})`,
  async (t) => {
    for (let round = 1; round <= KILL_ROUNDS; round++) {
      // Killed once it has connected a few more callers (their CONNECT lines written; a kill between a bridge and
      // its write loses the line: the known window of issue 9's closing note, not what this round is about).
      const connectsBefore = await connects()
      const n = between(1, 4)
      await until(async () => (await connects()) >= connectsBefore + n, 15_000, `${n} more callers connected`)
      const waiting = callers.filter((c) => !isOver(c) && !c.call.channel.bridge).length
      const talking = callers.filter((c) => !isOver(c) && !!c.call.channel.bridge)
      daemon.child.kill('SIGKILL')
      const exit = await daemon.exited
      t.equal(exit.signal, 'SIGKILL', `round ${round}: killed`)
      figures.killRounds++
      figures.killedWhileWaiting += waiting
      figures.killedWhileTalking += talking.length
      // Down until traffic has moved on by a few call steps (callers arriving, agents hanging up) unseen by koplus.
      await afterCallSteps(between(1, 6))
      figures.agentHungUpWhileDown += talking.filter((c) => !c.call.channel.bridge && !c.call.channel.hungUp).length
      const t0 = Date.now()
      daemon = new DaemonProcess(configPath)
      await rebuiltAgain(daemon, 0)
      figures.startMs.push(Date.now() - t0)
      await check(t, `kill round ${round}`)
    }
  },
)

await t.test('ESL link dropped and restored during traffic', async (t) => {
  await afterCallSteps(between(2, 8))
  const before = rebuilds(daemon)
  proxy.drop()
  await rebuiltAgain(daemon, before)
  t.ok(rebuilds(daemon) > before, 'the daemon reconnected and rebuilt')
  await check(t, 'ESL drop')
})

await t.test('ESL link frozen (open, silent): the daemon notices, reconnects and rebuilds', async (t) => {
  await afterCallSteps(between(2, 8))
  const before = rebuilds(daemon)
  const connections = proxy.connections
  proxy.freeze()
  await until(
    () => proxy.connections > connections && rebuilds(daemon) > before,
    8000,
    'a new connection after the freeze',
  )
  t.ok(proxy.connections > connections, 'reconnected while the old link stayed frozen')
  await check(t, 'ESL freeze')
})

await t.test(
  'FreeSWITCH restarted: its calls are gone; the daemon reconnects to the new switch and closes them',
  async (t) => {
    await afterCallSteps(between(2, 8))
    const before = rebuilds(daemon)
    const old = sim
    const live = callers.filter((c) => c.sim === old && !c.call.channel.hungUp)
    for (const c of live) c.droppedBySwitch = true
    figures.switchDropped = live.length
    await old.close()
    sim = await startSwitch(simPort)
    await rebuiltAgain(daemon, before)
    // The old switch's calls died with it (no events): their records must be closed by the rebuild.
    const open = async () => (await openRecords(live)).map((c) => c.call.uuid)
    await until(async () => (await open()).length === 0, 5000, 'records of the dropped calls closed').catch(
      () => undefined,
    )
    t.same(await open(), [], `all ${live.length} calls dropped by the switch restart have closed records`)
    // Traffic flows through the new switch: one of its callers connected before the invariants are checked.
    await until(
      () => callers.some((c) => c.sim === sim && c.bridges > 0),
      10_000,
      'a caller of the new switch connected',
    )
    await check(t, 'switch restart')
  },
)

await t.test('drain: traffic stops, every waiting caller is served; the figures', async (t) => {
  traffic = false
  const pending = () => callers.filter((c) => !isOver(c))
  await until(() => pending().length === 0, 20_000, 'every caller done').catch(() => undefined)
  t.same(
    pending().map((c) => c.call.uuid),
    [],
    'no caller left waiting',
  )
  await check(t, 'end')
  t.same(
    (await db.calls.inProgress()).map((r) => r.callId),
    [],
    'no call record left in progress',
  )
  const served = callers.filter((c) => c.bridges === 1).length
  const abandoned = callers.filter((c) => c.selfHangup === 'waiting' && c.bridges === 0).length
  const dropped = callers.filter((c) => c.droppedBySwitch && c.bridges === 0).length
  t.equal(
    served + abandoned + dropped,
    callers.length,
    'every caller was served once, gave up, or died with the switch',
  )
  const outcomes: Record<string, number> = {}
  for (const c of callers) {
    const o = (await db.calls.find(c.call.uuid))?.outcome ?? 'none'
    outcomes[o] = (outcomes[o] ?? 0) + 1
  }
  const stats = await db.report.agentStats({ since: start - 60_000, until: Date.now() + 60_000 })
  t.ok(stats.reduce((n, s) => n + s.answered, 0) >= served, 'per-agent answered offers cover every connection')
  t.comment(
    `seed ${SEED}: ${callers.length} callers; served ${served}, abandoned ${abandoned}, dropped by the switch restart ${dropped}`,
  )
  t.comment(
    `kill -9 rounds ${figures.killRounds}: ${figures.killedWhileWaiting} callers waiting and ${figures.killedWhileTalking} talking at the kills; ${figures.agentHungUpWhileDown} agents hung up while the daemon was down`,
  )
  t.comment(`daemon start → rebuilt: ${figures.startMs.join(', ')} ms`)
  t.comment(
    `record outcomes: ${JSON.stringify(outcomes)}; per-agent: ${stats.map((s) => `${s.extension} offered ${s.offered} answered ${s.answered} missed ${s.missed}`).join('; ')}`,
  )
  t.comment(`suite ${Date.now() - start} ms`)
})
