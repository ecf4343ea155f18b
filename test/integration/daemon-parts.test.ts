/** Unit tests of the daemon's parts: timers, persistence, engine view, logger, config errors, --simulate. */
import t from 'tap'
import { Writable } from 'node:stream'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VirtualClock } from '../../src/util/clock.js'
import { VirtualTime } from '../helpers/virtual-time.js'
import { TimerTable } from '../../src/daemon/timers.js'
import { persistStep } from '../../src/daemon/persist.js'
import type { Command } from '../../src/core/commands.js'
import { EngineView } from '../../src/daemon/engine-deps.js'
import { createLogger, runDaemonCommand } from '../../src/daemon/index.js'
import { startSimulation } from '../../src/daemon/simulate.js'
import { loadConfig } from '../../src/config/index.js'
import { Store } from '../../src/store/index.js'
import { logLines } from '../helpers/log-lines.js'

t.test('TimerTable: set, replace, clear, fire once', async (t) => {
  const clock = new VirtualClock(1000)
  const fired: string[] = []
  const timers = new TimerTable(clock, (id) => fired.push(`${id}@${clock.now()}`))
  timers.set('a', 1500)
  timers.set('b', 1200)
  timers.set('a', 1800) // replaces
  timers.set('c', 1300)
  timers.clear('c')
  clock.advance(1000)
  t.same(fired, ['b@1200', 'a@1800'])
  t.equal(timers.size, 0)
  timers.set('past', 500)
  clock.advance(0)
  t.same(fired.at(-1), 'past@2000', 'a time in the past fires at once')
})

t.test('persist: call records, event log, sessions, ewt; errors are logged, not thrown', async (t) => {
  const store = await Store.open(':memory:')
  t.teardown(() => store.close())
  const { lines, stream } = logLines()
  const log = createLogger('info', { pretty: false, destination: stream })
  /** One command as one engine step: queued on the store's write queue, then waited for. */
  const persist = async (s: Store, cmd: Command, l: typeof log): Promise<void> => {
    persistStep(s, cmd.type, [cmd], l)
    await s.writes.drained()
  }
  const q = await store.queues.create({ number: '5000', name: 'Support' })
  const a = await store.agents.create({ extension: '1001', name: 'A', plan: 'pro' })
  await store.memberships.add(a.id, q.id)
  await persist(
    store,
    {
      type: 'call-record',
      record: {
        callId: 'c1',
        queueId: q.id,
        tenantId: 'default',
        arrivedAt: 1000,
        callerNumber: '070',
        callerName: 'X',
      },
    },
    log,
  )
  await persist(store, { type: 'call-record', record: { callId: 'c1', enteredQueueAt: 1100 } }, log)
  await persist(store, { type: 'ewt', callId: 'c1', queueId: q.id, at: 1200, position: 1, seconds: 30 }, log)
  await persist(store, { type: 'call-record', record: { callId: 'c1', answeredAt: 5000, agentId: a.id } }, log)
  await persist(store, { type: 'call-record', record: { callId: 'c1', endedAt: 9000, outcome: 'answered' } }, log)
  await persist(
    store,
    { type: 'log', at: 1100, callId: 'c1', queueId: q.id, agentId: '', event: 'ENTERQUEUE', data: { position: 1 } },
    log,
  )
  await persist(
    store,
    { type: 'agent-session', agentId: a.id, queueId: q.id, loggedIn: true, paused: false, at: 500, source: 'api' },
    log,
  )
  const rec = await store.calls.get('c1')
  t.match(rec, {
    queueId: q.id,
    callerNumber: '070',
    enteredQueueAt: 1100,
    answeredAt: 5000,
    endedAt: 9000,
    outcome: 'answered',
    agentId: a.id,
    waitMs: 3900,
    talkMs: 4000,
  })
  t.match(await store.events.list({ callId: 'c1' }), [
    { event: 'ENTERQUEUE', queueId: q.id, agentId: null, data: { position: 1 } },
  ])
  t.equal((await store.sessions.list({ agentId: a.id })).length, 1)
  t.match(await store.ewt.forCall('c1'), [{ position: 1 }])
  await persist(
    store,
    { type: 'agent-session', agentId: a.id, queueId: q.id, loggedIn: false, paused: false, at: 600, source: 'api' },
    log,
  )
  t.equal((await store.sessions.list({ agentId: a.id })).length, 0)
  await persist(store, { type: 'call-record', record: { callId: 'unknown', endedAt: 1 } }, log)
  await persist(store, { type: 'call-record', record: { callId: 'c1', outcome: 'no-such-outcome' } }, log)
  t.equal(lines.filter((l) => l.msg === 'failed to persist a core command').length, 2)
})

t.test('EngineView: CoreConfig from the store, prompts, open state with closures', async (t) => {
  const store = await Store.open(':memory:')
  t.teardown(() => store.close())
  const q = await store.queues.create({ number: '5000', name: 'Support' })
  const view = new EngineView(store, { soundsDir: '/snd', dialTemplates: { softphone: 'user/${target}@${domain}' } })
  const cfg = await view.load()
  t.equal(cfg.queues.length, 1)
  t.equal(cfg.tenants[0].domain, 'default')
  t.equal(cfg.featureCodes.login, '*71')
  const queue = cfg.queues[0]
  t.equal(view.prompt('welcome', 'sv', queue), '/snd/sv/welcome.wav')
  t.equal(view.prompt('/x/y.wav', 'sv', queue), '/x/y.wav')
  await store.prompts.put({ tenantId: 'default', queueId: q.id, language: 'sv', name: 'welcome', path: '/rec/w.wav' })
  await view.load()
  t.equal(view.prompt('welcome', 'sv', queue), '/rec/w.wav')
  const now = Date.now()
  t.equal(view.isOpen(queue, now).open, true, 'no schedule: open')
  await store.closures.create({
    scope: { kind: 'queues', queueIds: [q.id] },
    from: now - 1000,
    reason: 'fire drill',
    by: 'test',
  })
  await view.load()
  t.equal(view.isOpen(queue, now).open, false, 'a closure closes it')
})

t.test('logger redacts the ESL password; invalid config names the key', async (t) => {
  const { lines, stream } = logLines()
  const log = createLogger('info', { pretty: false, destination: stream })
  log.info({ config: { freeswitch: { password: 'S3cret' } } }, 'x')
  t.notOk(JSON.stringify(lines).includes('S3cret'))
  const dir = mkdtempSync(join(tmpdir(), 'koplus-cfg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bad = join(dir, 'bad.json')
  writeFileSync(bad, JSON.stringify({ freeswitch: { port: 'abc' } }))
  await t.rejects(runDaemonCommand({ configPath: bad, handleSignals: false, env: {} }), {
    code: 'KOPLUS_CONFIG_INVALID',
    message: /freeswitch\.port/,
  })
})

t.test('--simulate: the demo call centre connects a generated call', async (t) => {
  const { lines, stream } = logLines()
  const log = createLogger('info', { pretty: false, destination: stream })
  const config = loadConfig({ env: {} })
  // A fixed "random": every agent answers after 2.6 s; the first caller dials 5000. On virtual time (the demo's
  // daemon and simulator share the clock): the seconds of the demo's traffic take none of the test's.
  const time = new VirtualTime()
  const sim = await startSimulation(config, log, { random: () => 0.15, clock: time.clock })
  t.teardown(() => sim.stop())
  await sim.daemon.whenRebuilt()
  await time.run(sim.simulator.waitFor(() => lines.some((l) => l.msg === 'bridged'), 15_000, 'a bridged call'))
  const msgs = lines.map((l) => l.msg)
  t.ok(
    msgs.some((m) => /^caller 07\d+ dials 5000$/.test(String(m))),
    'traffic logged',
  )
  for (const m of ['connected to FreeSWITCH', 'call-arrived', 'originate', 'bridge', 'bridged'])
    t.ok(msgs.includes(m), `logged ${m}`)
  const st = sim.daemon.status()
  t.equal(st.queues.length, 2)
  t.equal(st.agents.filter((a) => a.queues.length > 0).length, 4, 'four agents logged in')
})

t.test(
  'logger format: JSON lines on a pipe, pino-pretty on a TTY (auto); log.format json/pretty forces one',
  async (t) => {
    /** A stream collecting raw text; `tty` makes it look like a terminal (isTTY), as process.stdout on one does. */
    const stream = (tty: boolean) => {
      const chunks: string[] = []
      const s = new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(chunk.toString('utf8'))
          cb()
        },
      }) as Writable & { isTTY?: boolean }
      if (tty) s.isTTY = true
      return { s, text: () => chunks.join('') }
    }
    const isJson = (text: string) =>
      text
        .trim()
        .split('\n')
        .every((l) => typeof (JSON.parse(l) as { msg?: unknown }).msg === 'string')
    const cases: [string, boolean, 'auto' | 'json' | 'pretty' | undefined, boolean][] = [
      ['a pipe, auto', false, undefined, true],
      ['a pipe, auto (explicit)', false, 'auto', true],
      ['a terminal, auto', true, 'auto', false],
      ['a terminal, json forced', true, 'json', true],
      ['a pipe, pretty forced', false, 'pretty', false],
    ]
    for (const [what, tty, format, json] of cases) {
      const { s, text } = stream(tty)
      const log = createLogger('info', { destination: s, ...(format ? { format } : {}) })
      log.info({ config: { freeswitch: { password: 'S3cret' } } }, 'hello from koplus')
      t.ok(text().includes('hello from koplus'), `${what}: written`)
      t.notOk(text().includes('S3cret'), `${what}: the password redacted`)
      if (json) t.ok(isJson(text()), `${what}: JSON lines`)
      else t.match(text(), /INFO.*hello from koplus/, `${what}: pino-pretty`)
    }
  },
)

t.test(
  'runDaemonCommand: the API cannot listen → one line naming the key, the store closed, FreeSWITCH never contacted',
  async (t) => {
    const { FakeEslServer } = await import('../fixtures/esl/fake-esl-server.js')
    const fs = await FakeEslServer.start()
    const dir = mkdtempSync(join(tmpdir(), 'koplus-api-fail-'))
    t.teardown(async () => {
      await fs.close()
      rmSync(dir, { recursive: true, force: true })
    })
    const env = {
      KOPLUS_DATABASE_PATH: join(dir, 'koplus.sqlite'),
      KOPLUS_FREESWITCH_PORT: String(fs.port),
      KOPLUS_API_PORT: '80',
    }
    const cases: [string, string][] = [
      ['EACCES', 'api.port: no permission to listen on 127.0.0.1:80 (ports below 1024 need privileges)'],
      [
        'EADDRINUSE',
        'api.port: 127.0.0.1:80 is already in use (another koplus daemon, or another program listening there?)',
      ],
      ['EADDRNOTAVAIL', 'api.host: 127.0.0.1 is not an address of this machine'],
    ]
    for (const [code, message] of cases) {
      let store: Store | undefined
      const { stream } = logLines()
      const err = await runDaemonCommand({
        env,
        handleSignals: false,
        logger: createLogger('info', { pretty: false, destination: stream }),
        startApi: async (daemon) => {
          store = daemon.store
          throw Object.assign(new Error(`listen ${code}: 127.0.0.1:80`), { code })
        },
      }).then(
        () => ({ message: 'started', code: '' }),
        (e: unknown) => e as Error & { code?: string },
      )
      t.equal(err.message, message, code)
      t.equal(err.code, 'KOPLUS_STARTUP_FAILED')
      t.ok(store, `${code}: the daemon had opened its store`)
      if (store) await t.rejects(store.db.get('SELECT 1'), `${code}: the store was closed (a query is refused)`)
    }
    t.equal(fs.connections.length, 0, 'no ESL connection was ever made')
  },
)

t.test(
  "TimerTable: a timer months away is armed within setTimeout's range, not re-armed every millisecond",
  async (t) => {
    // A clock that behaves as Node's setTimeout does with a delay over 2^31 - 1 ms: it fires after 1 ms.
    const virtual = new VirtualClock(1000)
    const delays: number[] = []
    const nodeLike = {
      now: () => virtual.now(),
      setTimeout: (fn: () => void, ms: number) => (
        delays.push(ms),
        virtual.setTimeout(fn, ms > 2_147_483_647 ? 1 : ms)
      ),
      clearTimeout: (h: Parameters<VirtualClock['clearTimeout']>[0]) => virtual.clearTimeout(h),
    }
    const fired: string[] = []
    const timers = new TimerTable(nodeLike, (id) => fired.push(id))
    const YEAR = 365 * 86_400_000
    timers.set('far', 1000 + YEAR)
    virtual.advance(100)
    t.equal(delays.length, 1, `armed once in 100 ms (was ${delays.length} times)`)
    t.ok(
      delays.every((d) => d <= 2_147_483_647),
      "within setTimeout's range",
    )
    virtual.advance(2_147_483_647)
    t.same(fired, [], 'not fired at the cap: re-armed for the rest')
    t.equal(delays.length, 2)
    virtual.advance(YEAR)
    t.same(fired, ['far'], 'fires at its time')
  },
)
