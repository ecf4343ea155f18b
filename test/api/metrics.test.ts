/**
 * /metrics as standard tools take it: `promtool check metrics` finds nothing to complain about, names follow the
 * Prometheus naming guide, the example alert rules of docs/metrics.md pass `promtool check rules` and fire as meant
 * (`promtool test rules`), the Grafana dashboard refers only to exported metrics with queries that parse, and the
 * optional bearer token (api.metricsTokenFile) guards /metrics.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KoplusMetrics } from '../../src/api/metrics.js'
import { readMetricsToken, startDaemonApi } from '../../src/api/daemon-api.js'
import { defaultConfig } from '../../src/config/index.js'
import type { Daemon } from '../../src/daemon/index.js'
import pino from 'pino'
import { queuesOpenAt } from '../../src/api/queues-open.js'
import type { Command } from '../../src/core/commands.js'
import { world } from './fixture.js'

const ROOT = join(import.meta.dirname, '..', '..')
const hasPromtool = spawnSync('promtool', ['--version']).status === 0
/** promtool comes with Debian's `prometheus` package; CI must have it (never skipped there). */
const noPromtool = !hasPromtool && !process.env.CI && 'promtool not installed (apt-get install prometheus)'

const tmp = mkdtempSync(join(tmpdir(), 'koplus-metrics-test-'))
t.teardown(() => rmSync(tmp, { recursive: true, force: true }))

function promtool(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', cwd: tmp })
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() }
}

const rec = (record: Extract<Command, { type: 'call-record' }>['record']): Command => ({ type: 'call-record', record })

/** Metrics as the daemon has them, with default Node.js metrics and every koplus series fed at least once. */
async function fedMetrics(): Promise<KoplusMetrics> {
  const m = new KoplusMetrics({ defaultMetrics: true })
  m.setEslConnected(true)
  const t0 = 1_000_000
  m.observeEvent(
    {
      type: 'call-arrived',
      callId: 'c1',
      queueNumber: '5000',
      tenantDomain: 'a.example',
      callerNumber: '1',
      callerName: '',
    },
    t0,
    t0,
  )
  m.observeCommands(
    [
      rec({ callId: 'c1', queueId: 'qa', tenantId: 'ta', arrivedAt: t0 }),
      rec({ callId: 'c1', enteredQueueAt: t0 + 4000 }),
    ],
    t0 + 4000,
  )
  m.observeCommands(
    [
      {
        type: 'originate',
        callId: 'c1',
        offerId: 'o1',
        legs: [{ legId: 'l1', agentId: 'aa', dialString: 'user/1001', confirm: false, whisper: false }],
        timeoutSec: 20,
        callerIdName: '',
        callerIdNumber: '',
        queueId: 'qa',
      },
    ],
    t0 + 4000,
  )
  m.observeCommands(
    [{ type: 'bridge', callId: 'c1', legId: 'l1' }, rec({ callId: 'c1', answeredAt: t0 + 16_000, agentId: 'aa' })],
    t0 + 16_000,
  )
  m.observeCommands([rec({ callId: 'c1', outcome: 'answered', endedAt: t0 + 60_000 })], t0 + 60_000)
  // a second caller gives up after 45 s
  m.observeCommands(
    [rec({ callId: 'c2', queueId: 'qa', tenantId: 'ta', arrivedAt: t0 }), rec({ callId: 'c2', enteredQueueAt: t0 })],
    t0,
  )
  m.observeCommands([rec({ callId: 'c2', outcome: 'abandoned', endedAt: t0 + 45_000 })], t0 + 45_000)
  m.observeStatus({
    queues: [
      {
        queueId: 'qa',
        tenantId: 'ta',
        number: '5000',
        name: 'Support "A"',
        waiting: 2,
        longestWaitSec: 75,
        overflowing: false,
        agents: { loggedIn: 3, free: 1, ringing: 0, onCall: 1, wrapUp: 0, paused: 1 },
      },
    ],
    agents: [{ state: 'free' }, { state: 'on-call' }, { state: 'paused' }, { state: 'logged-out' }],
  })
  m.setQueuesOpen({ qa: true, qb: false })
  return m
}

/** Metric family names of an exposition, from its # TYPE lines, with their types. */
function families(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => [x[1], x[2]]))
}

t.test('promtool check metrics: no complaint about the exposition', { skip: noPromtool }, async (t) => {
  const { body } = await (await fedMetrics()).render()
  const r = promtool(['check', 'metrics'], body)
  t.equal(r.out, '', 'promtool has nothing to say')
  t.equal(r.status, 0, 'exit 0')
})

t.test('names follow the Prometheus naming guide', async (t) => {
  const { body } = await (await fedMetrics()).render()
  const fams = families(body)
  t.ok(fams.size > 20, `${fams.size} metric families`)
  for (const [name, type] of fams) {
    t.match(name, /^koplus_[a-z][a-z0-9_]*$/, `${name}: koplus_ prefix, snake_case`)
    if (type === 'counter') t.match(name, /_total$/, `${name}: a counter ends in _total`)
    else t.notMatch(name, /_total$/, `${name}: a ${type} does not end in _total`)
    t.notMatch(name, /_(milliseconds|ms|minutes)$/, `${name}: base units`)
    t.match(body, new RegExp(`^# HELP ${name} \\S`, 'm'), `${name}: has help`)
  }
  t.notOk(fams.has('koplus_process_process_cpu_seconds_total'), 'no doubled process_ prefix')
  t.ok(fams.has('koplus_process_cpu_seconds_total'), 'process metrics under koplus_process_')
})

t.test(
  'per-queue series: waiting, longest wait, agents by state, open, service level from the call records',
  async (t) => {
    const { body } = await (await fedMetrics()).render()
    t.match(
      body,
      /^koplus_queue_info\{queue="qa",number="5000",name="Support \\"A\\"",tenant="ta"\} 1$/m,
      'info maps id to number and name (escaped)',
    )
    t.match(body, /^koplus_queue_waiting_callers\{queue="qa"\} 2$/m)
    t.match(body, /^koplus_queue_longest_wait_seconds\{queue="qa"\} 75$/m)
    t.match(body, /^koplus_queue_agents_logged_in\{queue="qa"\} 3$/m)
    t.match(body, /^koplus_queue_agents\{queue="qa",state="on-call"\} 1$/m)
    t.match(body, /^koplus_queue_agents\{queue="qa",state="paused"\} 1$/m)
    t.match(body, /^koplus_queue_overflowing\{queue="qa"\} 0$/m)
    t.match(body, /^koplus_queue_open\{queue="qa"\} 1$/m)
    t.match(body, /^koplus_queue_open\{queue="qb"\} 0$/m)
    t.match(body, /^koplus_queue_callers_entered_total\{queue="qa"\} 2$/m, 'both callers entered')
    t.match(
      body,
      /^koplus_queue_answer_wait_seconds_bucket\{le="10",queue="qa"\} 0$/m,
      'answered after 12 s: not within 10',
    )
    t.match(body, /^koplus_queue_answer_wait_seconds_bucket\{le="15",queue="qa"\} 1$/m, 'but within 15')
    t.match(
      body,
      /^koplus_queue_answer_wait_seconds_sum\{queue="qa"\} 12$/m,
      'wait counted from entering the queue, not arrival',
    )
    t.match(body, /^koplus_queue_answer_wait_seconds_count\{queue="qa"\} 1$/m, 'the abandoned caller was not answered')
    t.match(body, /^koplus_queue_calls_ended_total\{queue="qa",outcome="answered"\} 1$/m)
    t.match(body, /^koplus_queue_calls_ended_total\{queue="qa",outcome="abandoned"\} 1$/m)
    t.match(body, /^koplus_agents\{state="logged-out"\} 1$/m)
  },
)

t.test('koplus_queue_open follows schedules and closures as the engine does', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  t.same(await queuesOpenAt(w.store, w.now.t), { qa: true, qa2: true, qb: true }, 'no schedule: open')
  await w.store.queues.update('qa2', {
    schedule: { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [], alwaysOpen: false },
  })
  await w.store.closures.create({
    tenantId: 'tb',
    scope: { kind: 'queues', queueIds: ['qb'] },
    from: w.now.t - 1000,
    reason: 'meeting',
    by: 'test',
  })
  t.same(
    await queuesOpenAt(w.store, w.now.t),
    { qa: true, qa2: false, qb: false },
    'no opening rule, or a closure: closed',
  )
})

t.test('api.metricsTokenFile: /metrics needs the bearer token; the file is checked at start-up', async (t) => {
  const token = 'm3tr1cs-t0ken-0123456789'
  const w = await world({ metricsToken: token })
  t.teardown(() => w.close())
  const none = await fetch(`${w.url}/metrics`)
  t.equal(none.status, 401, 'no token: 401')
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="koplus metrics"')
  t.notMatch(await none.text(), /koplus_/, 'and no metrics')
  t.equal(
    (await fetch(`${w.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
    401,
    'a wrong token: 401',
  )
  t.equal(
    (await fetch(`${w.url}/metrics`, { headers: { authorization: `Bearer ${w.tokens.operator}` } })).status,
    401,
    'an API token does not open /metrics',
  )
  const ok = await fetch(`${w.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.status, 200, 'the token: 200')
  t.match(await ok.text(), /koplus_esl_connected/)
  const open = await world()
  t.teardown(() => open.close())
  t.equal((await fetch(`${open.url}/metrics`)).status, 200, 'without a configured token /metrics stays open')

  t.equal(readMetricsToken(null), undefined, 'null: no token')
  const file = join(tmp, 'token')
  writeFileSync(file, `${token}\n`)
  t.equal(readMetricsToken(file), token, 'read and trimmed')
  t.throws(
    () => readMetricsToken(join(tmp, 'missing')),
    /api\.metricsTokenFile: cannot read .*missing: ENOENT/,
    'a missing file names the key',
  )
  writeFileSync(file, '\n')
  t.throws(() => readMetricsToken(file), /api\.metricsTokenFile: .* at least 16 characters/, 'an empty file is refused')
  // the daemon's API refuses to start on a bad file before it touches the daemon (nothing left running)
  const config = defaultConfig()
  config.api.metricsTokenFile = join(tmp, 'missing')
  await t.rejects(
    startDaemonApi({} as Daemon, config, pino({ level: 'silent' })),
    /api\.metricsTokenFile: cannot read/,
    'startDaemonApi stops with the key named',
  )
})

/** The alert rules of docs/metrics.md (its yaml block starting with `groups:`). */
function docRules(): string {
  const doc = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8')
  const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.startsWith('groups:'))
  if (!block) throw new Error('docs/metrics.md has no yaml block with the alert rules')
  return block
}

t.test(
  'the example alert rules of docs/metrics.md: valid, and they fire as described',
  { skip: noPromtool },
  async (t) => {
    writeFileSync(join(tmp, 'rules.yml'), docRules())
    const check = promtool(['check', 'rules', 'rules.yml'])
    t.equal(check.status, 0, check.out)
    t.match(check.out, /SUCCESS: 3 rules found/)
    // promtool unit test: qa has a caller waiting 0, 30, 60, … s (one sample a minute) and nobody logged in while
    // open; qb is closed with nobody logged in; qc is open with two agents.
    writeFileSync(
      join(tmp, 'rules.test.yml'),
      `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'koplus_queue_info{queue="qa",number="5000",name="Support",tenant="ta"}'
        values: '1x10'
      - series: 'koplus_queue_info{queue="qb",number="5001",name="Sales",tenant="ta"}'
        values: '1x10'
      - series: 'koplus_queue_info{queue="qc",number="5002",name="Billing",tenant="ta"}'
        values: '1x10'
      - series: 'koplus_queue_longest_wait_seconds{queue="qa"}'
        values: '0+30x10'
      - series: 'koplus_queue_longest_wait_seconds{queue="qb"}'
        values: '0x10'
      - series: 'koplus_queue_open{queue="qa"}'
        values: '1x10'
      - series: 'koplus_queue_open{queue="qb"}'
        values: '0x10'
      - series: 'koplus_queue_open{queue="qc"}'
        values: '1x10'
      - series: 'koplus_queue_agents_logged_in{queue="qa"}'
        values: '0x10'
      - series: 'koplus_queue_agents_logged_in{queue="qb"}'
        values: '0x10'
      - series: 'koplus_queue_agents_logged_in{queue="qc"}'
        values: '2x10'
      - series: 'koplus_esl_connected'
        values: '1x10'
    alert_rule_test:
      - eval_time: 4m
        alertname: KoplusCallersWaitingTooLong
        exp_alerts: []
      - eval_time: 6m
        alertname: KoplusCallersWaitingTooLong
        exp_alerts:
          - exp_labels: { severity: warning, queue: qa, number: '5000', name: Support }
            exp_annotations: { summary: 'Queue Support (5000): a caller has waited 3m 0s' }
      - eval_time: 4m
        alertname: KoplusNoAgentDuringOpeningHours
        exp_alerts: []
      - eval_time: 6m
        alertname: KoplusNoAgentDuringOpeningHours
        exp_alerts:
          - exp_labels: { severity: critical, queue: qa, number: '5000', name: Support }
            exp_annotations: { summary: 'Queue Support (5000) is open and no agent is logged in' }
      - eval_time: 6m
        alertname: KoplusFreeSwitchDisconnected
        exp_alerts: []
`,
    )
    const test = promtool(['test', 'rules', 'rules.test.yml'])
    t.equal(test.status, 0, test.out)
    t.match(test.out, /SUCCESS/)
  },
)

t.test('the Grafana dashboard: only exported metrics, every query parses', async (t) => {
  const dash = JSON.parse(readFileSync(join(ROOT, 'conf', 'grafana', 'koplus-dashboard.json'), 'utf8'))
  const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((x) => x.expr))
  exprs.push(
    ...dash.templating.list.map((v: { definition: string }) => v.definition.replace(/^label_values\((\w+),.*$/, '$1')),
  )
  t.ok(exprs.length >= 10, `${exprs.length} queries`)
  const { body } = await (await fedMetrics()).render()
  const exported = new Set<string>()
  for (const [name, type] of families(body)) {
    exported.add(name)
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name + s)
  }
  const used = new Set(exprs.flatMap((e) => e.match(/\bkoplus_[a-z0-9_]+/g) ?? []))
  t.same(
    [...used].filter((n) => !exported.has(n)),
    [],
    'every metric the dashboard uses is exported',
  )
  for (const needed of [
    'koplus_queue_waiting_callers',
    'koplus_queue_longest_wait_seconds',
    'koplus_queue_answer_wait_seconds_bucket',
    'koplus_queue_agents',
    'koplus_agents',
  ]) {
    t.ok(used.has(needed), `shows ${needed}`)
  }
  if (noPromtool) return
  // Grafana's variables as Prometheus would get them, each query as a recording rule: promtool parses them all
  const concrete = exprs.map((e) => e.replace(/\$__range|\$__rate_interval/g, '5m').replace(/\$queue/g, '.*'))
  writeFileSync(
    join(tmp, 'dashboard-rules.yml'),
    `groups:\n  - name: dashboard\n    rules:\n${concrete.map((e, i) => `      - record: dashboard:q${i}\n        expr: ${JSON.stringify(e)}\n`).join('')}`,
  )
  const r = promtool(['check', 'rules', 'dashboard-rules.yml'])
  t.equal(r.status, 0, r.out)
})
