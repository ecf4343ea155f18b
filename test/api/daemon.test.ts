/**
 * The API on the real daemon (engine + store + ESL) against the FreeSWITCH simulator: actions reach the engine,
 * engine refusals become HTTP errors, a waiting caller reaches the SSE stream within a second, metrics read the
 * daemon, and the CLI token file is written.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { Store } from '../../src/store/index.js'
import { startDaemon } from '../../src/daemon/index.js'
import { defaultConfig } from '../../src/config/index.js'
import { startDaemonApi } from '../../src/api/daemon-api.js'
import { call } from './fixture.js'
import type { CenterStatus } from '../../src/core/engine/status.js'

t.test('API over the running daemon', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-api-daemon-'))
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  const port = await sim.listen(0)
  sim.endpoint('1001', { neverAnswer: true })
  const store = await Store.open(':memory:')
  const q = await store.queues.create({ number: '5000', name: 'Support', settings: { ringTimeSec: 30 } })
  const anna = await store.agents.create({
    extension: '1001',
    name: 'Anna',
    plan: 'pro',
    sipUser: '1001',
    devices: [{ type: 'softphone', target: '1001' }],
  })
  const basic = await store.agents.create({
    extension: '1002',
    name: 'Bo',
    plan: 'basic',
    sipUser: '1002',
    devices: [{ type: 'softphone', target: '1002' }],
  })
  await store.memberships.add(anna.id, q.id)
  await store.memberships.add(basic.id, q.id)
  const config = defaultConfig()
  config.database.path = join(dir, 'koplus.sqlite')
  config.api.port = 0
  config.recordings.dir = join(dir, 'recordings')
  config.freeswitch.port = port
  config.api.metricsTokenFile = join(dir, 'metrics-token')
  writeFileSync(config.api.metricsTokenFile, 'daemon-metrics-token-0123\n')
  const logger = pino({ level: 'silent' })
  const daemon = await startDaemon({ ...config, database: { ...config.database, path: ':memory:' } }, { store, logger })
  await daemon.whenRebuilt()
  const api = await startDaemonApi(daemon, config, logger)
  t.teardown(async () => {
    await api.close()
    await daemon.stop()
    await sim.close()
    await store.close()
  })

  // the CLI token
  t.equal(api.tokenPath, join(dir, 'cli-token'))
  t.equal(statSync(api.tokenPath).mode & 0o777, 0o640, "owner and the daemon's group (operators) may read it")
  const token = readFileSync(api.tokenPath, 'utf8').trim()
  const op = { token }

  // an agent logs in through the API: the engine has it
  const login = await call(api.url, 'POST', `/api/v1/agents/${anna.id}/login`, { ...op, body: {} })
  t.equal(login.status, 200, login.text)
  const me = daemon.status().agents.find((a) => a.agentId === anna.id)!
  t.same(me.queues, [q.id])
  t.equal((await store.sessions.list({ agentId: anna.id })).length, 1, 'the session is durable')

  // the engine refuses: not in wrap-up
  const wrap = await call(api.url, 'POST', `/api/v1/agents/${anna.id}/end-wrapup`, op)
  t.equal(wrap.status, 409)
  t.match(wrap.body.error.message, /wrap-up/)
  // the plan gate
  const plan = await call(api.url, 'POST', `/api/v1/agents/${basic.id}/login`, op)
  t.equal(plan.status, 403)
  t.equal(plan.body.error.code, 'PLAN')

  // a queue change is applied to the running engine before the answer
  const patched = await call(api.url, 'PATCH', `/api/v1/queues/${q.id}`, {
    ...op,
    body: { settings: { strategy: 'ring-parallel' } },
  })
  t.equal(patched.status, 200)
  t.equal(daemon.status().queues.find((x) => x.queueId === q.id)!.strategy, 'ring-parallel')

  // SSE: a caller appears within a second
  const ac = new AbortController()
  t.teardown(() => ac.abort())
  const res = await fetch(`${api.url}/api/v1/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: ac.signal,
  })
  const reader = res.body!.getReader()
  let buf = ''
  const nextStatus = async (): Promise<CenterStatus> => {
    for (;;) {
      const i = buf.indexOf('\n\n')
      if (i >= 0) {
        const block = buf.slice(0, i)
        buf = buf.slice(i + 2)
        const data = /^data: (.*)$/m.exec(block)
        if (data) return JSON.parse(data[1])
        continue
      }
      const { value } = await reader.read()
      buf += Buffer.from(value).toString()
    }
  }
  const first = await nextStatus()
  t.equal(first.queues[0].waiting + first.queues[0].connected, 0)
  // when did the engine have the caller waiting? (from the daemon's own hook, to measure the stream's delay)
  let engineAt = 0
  const offHandled = daemon.onHandled(() => {
    if (!engineAt && daemon.status().queues[0].waiting === 1) engineAt = Date.now()
  })
  t.teardown(offHandled)
  sim.placeCall({ to: '5000', from: '0701234567' })
  let seen: CenterStatus | undefined
  while (!seen) {
    const s = await nextStatus()
    if (s.queues[0].waiting === 1) seen = s
  }
  const streamAt = Date.now()
  offHandled()
  t.ok(engineAt > 0, 'the engine had the caller waiting')
  t.ok(streamAt - engineAt < 600, `the caller reached the stream ${streamAt - engineAt} ms after the engine had it`)
  t.equal(seen.queues[0].callers[0].callerNumber, '0701234567')

  // metrics read the daemon
  t.equal((await fetch(`${api.url}/metrics`)).status, 401, 'api.metricsTokenFile is set: no token, no metrics')
  const metrics = await (
    await fetch(`${api.url}/metrics`, { headers: { authorization: 'Bearer daemon-metrics-token-0123' } })
  ).text()
  t.match(metrics, /koplus_esl_connected 1/)
  t.match(metrics, new RegExp(`koplus_queue_waiting_callers\\{queue="${q.id}"\\} 1`), 'labelled by queue id')
  t.match(
    metrics,
    new RegExp(`koplus_queue_info\\{queue="${q.id}",number="5000",name="Support",tenant="[^"]+"\\} 1`),
    'the id maps to the number',
  )
  t.match(metrics, new RegExp(`koplus_queue_open\\{queue="${q.id}"\\} 1`), 'a queue without schedule is open')
  t.match(metrics, new RegExp(`koplus_queue_longest_wait_seconds\\{queue="${q.id}"\\} \\d`), 'the longest wait')
  t.match(
    metrics,
    new RegExp(`koplus_queue_callers_entered_total\\{queue="${q.id}"\\} 1`),
    'entered, from the call records',
  )
  // the exposition of the running daemon, as Prometheus's own linter reads it (promtool: Debian's prometheus package)
  if (spawnSync('promtool', ['--version']).status === 0 || process.env.CI) {
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' })
    t.equal(
      `${lint.stdout}${lint.stderr}`.trim(),
      '',
      "promtool check metrics: no complaint about the daemon's /metrics",
    )
    t.equal(lint.status, 0)
  } else t.comment("promtool not installed (apt-get install prometheus): the daemon's exposition is not linted here")
})
