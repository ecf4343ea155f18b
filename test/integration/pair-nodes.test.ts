/**
 * Issue 12, items 2 and 3 together: two simulated FreeSWITCH nodes on one simulated SIP network, two real daemon
 * processes (active/standby over a private PostgreSQL 15), each daemon with its own ESL link to each node
 * (test/helpers/pair-rig.ts). Agent 1001's phone is registered on node A; callers arrive on both nodes. The leader
 * is killed with SIGKILL while they wait: the standby takes over, every caller keeps its place (across nodes) and
 * is connected — the callers on node B through the inter-node dial string, originated from node B — each offered
 * once, and the records are closed.
 *
 * The test touches no store: the queue, the agent, its membership and its log-in are sent to the *standby's* API
 * (forwarded to the leader, src/api/forward-to-leader.ts), and the call records are read through the APIs. So
 * where the daemons keep their data is said once, in pairConfig (test/helpers/pair-rig.ts).
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import { SipNetwork } from '../../src/simulator/sip-network.js'
import { QUIET } from '../helpers/journey-fixture.js'
import { commandsOf, startPairDaemon, stopPairDaemon, type PairDaemon, type SimNode } from '../helpers/pair-rig.js'
import { startPostgres } from '../helpers/postgres.js'

const pg = await startPostgres(t)

if (pg) {
  const url = await pg.createDatabase('pairnodes')
  const dir = mkdtempSync(join(tmpdir(), 'koplus-pair-nodes-'))
  const dbPath = join(dir, 'koplus.sqlite') // created by the first daemon
  const network = new SipNetwork()
  const simA = new FreeSwitchSimulator({ sipDomain: 'default', sipNetwork: network, sipAddress: '10.9.1.1' })
  const simB = new FreeSwitchSimulator({ sipDomain: 'default', sipNetwork: network, sipAddress: '10.9.1.2:5080' })
  simA.endpoint('1001', { registered: false }) // the agent's phone belongs to node A; not reachable yet
  const nodes: SimNode[] = [
    { id: 'a', eslPort: await simA.listen(0, '127.0.0.1'), sipAddress: '10.9.1.1' },
    { id: 'b', eslPort: await simB.listen(0, '127.0.0.1'), sipAddress: '10.9.1.2:5080' },
  ]
  const sims: Record<string, FreeSwitchSimulator> = { a: simA, b: simB }
  const daemons: PairDaemon[] = []
  t.teardown(async () => {
    for (const d of daemons) await stopPairDaemon(d)
    await simA.close()
    await simB.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const start = async (name: string) => {
    const d = await startPairDaemon({
      name,
      nodes,
      pgPort: pg.port,
      dbUrl: url,
      dbPath,
      dir,
    })
    daemons.push(d)
    return d
  }
  /** Resolves when `d` leads and has rebuilt its view of both nodes. */
  const leadsAndRebuilt = (d: PairDaemon) =>
    Promise.all(
      nodes.map((n) =>
        d.proc.waitForLog(
          (l) => /^rebuilt the view/.test(l.msg) && l.node === n.id,
          20_000,
          `${d.name} rebuilt node ${n.id} as leader`,
        ),
      ),
    )
  /** Polls an asynchronous condition (an API read) every 50 ms for up to 5 s. */
  async function untilAsync(f: () => Promise<boolean | undefined>, what: string): Promise<void> {
    const end = performance.now() + 5000
    while (!(await f())) {
      if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const offers = (call: SimCall, node: string) =>
    sims[node].originates.filter((o) => o.arg.includes(`koplus_call=${call.uuid}`)).map((o) => o.arg)

  const a = await start('pair-a')
  await leadsAndRebuilt(a)
  const b = await start('pair-b')
  await b.proc.waitForLog((l) => l.msg === 'connected to FreeSWITCH' && l.role === 'standby', 1000, 'b standing by')
  const apiOf = async (d: PairDaemon) =>
    String((await d.proc.waitForLog((l) => l.msg === 'control API listening', 10_000, 'API')).address)
  const standbyApi = await apiOf(b)
  const token = readFileSync(join(dir, 'cli-token'), 'utf8').trim() // the CLI's operator token (either daemon's)
  async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path} on ${base}: ${res.status} ${text}`)
    return JSON.parse(text) as T
  }
  interface CallRecord {
    callId: string
    enteredQueueAt: number | null
    outcome: string | null
  }
  const records = async (base: string) =>
    new Map((await api<{ items: CallRecord[] }>(base, 'GET', '/calls?limit=100')).items.map((r) => [r.callId, r]))

  // The standby learns who leads at its next poll of the lock (≤ 200 ms); until then it answers changes 503.
  await untilAsync(
    async () =>
      !!(await api<{ leadership?: { leader?: { nodeId: string } } }>(standbyApi, 'GET', '/status')).leadership?.leader,
    'the standby names the leader',
  )
  // The configuration, sent to the standby: each change is applied by the leader.
  const queue = await api<{ id: string }>(standbyApi, 'POST', '/queues', {
    number: '5000',
    name: 'Pair',
    settings: QUIET,
  })
  const agent = await api<{ id: string }>(standbyApi, 'POST', '/agents', {
    extension: '1001',
    name: 'Agent 1001',
    plan: 'pro',
  })
  await api(standbyApi, 'POST', '/memberships', { agentId: agent.id, queueId: queue.id })
  await api(standbyApi, 'POST', `/agents/${agent.id}/login`, {})
  t.same(
    a.proc.lines.filter((l) => l.msg === 'api change').map((l) => l.route),
    ['queues.create', 'agents.create', 'memberships.add', 'agents.login'],
    'the four changes sent to the standby were applied by the leader',
  )
  t.notOk(
    b.proc.lines.some((l) => l.msg === 'api change'),
    'and none by the standby',
  )
  t.same(commandsOf(b), [], 'the standby commanded nothing')

  await t.test(
    'kill -9 of the leader while callers wait on two nodes: the standby connects them in their order, across nodes',
    async (t) => {
      // Interleaved arrivals: B, A, B. Agent 1001 (phone on node A) is not registered yet, so all three wait.
      const placed: { call: SimCall; node: string }[] = []
      for (const [i, node] of ['b', 'a', 'b'].entries()) {
        const call = sims[node].placeCall({ to: '5000', from: `0704000${i + 1}` })
        await sims[node].waitFor(() => !!call.variable('koplus_seq'), 5000, `caller ${i + 1} queued on node ${node}`)
        placed.push({ call, node })
      }
      const calls = placed.map((p) => p.call)
      await untilAsync(async () => {
        const r = await records(standbyApi)
        return calls.every((c) => r.get(c.uuid)?.enteredQueueAt != null)
      }, 'queue entries written, read on the standby')
      t.same(commandsOf(b), [], 'the standby, connected to both nodes, sent neither a command')
      t.ok(
        [...b.taps.values()].every((tap) => tap.frames.some((f) => f.line.startsWith('event json'))),
        'the standby subscribed to events on both nodes',
      )

      a.proc.child.kill('SIGKILL')
      const killedAt = performance.now()
      await a.proc.exited
      await leadsAndRebuilt(b)
      t.comment(`the new leader had rebuilt both nodes ${(performance.now() - killedAt).toFixed(0)} ms after kill -9`)
      t.same(
        calls.map((c) => c.state),
        calls.map(() => 'answered'),
        'every caller still waits, on its own node',
      )

      simA.endpoint('1001', { registered: true, answerAfterMs: 50, hangupAfterMs: 150 }) // sofia::register on node A
      // Answers of 1001's phone on node A, as they happen (the phone hangs up 150 ms later: a snapshot could miss them).
      let phoneAnswersOnA = 0
      const offAnswers = simA.onEvent((ev) => {
        if (ev.name === 'CHANNEL_ANSWER' && ev.uuid && simA.channel(ev.uuid)?.variables.get('dialed_user') === '1001')
          phoneAnswersOnA++
      })
      t.teardown(offAnswers)
      const order: string[] = []
      for (const call of calls) {
        await call.waitForState('bridged', 10_000)
        order.push(call.uuid)
        await call.waitForState('hungup', 5000)
      }
      offAnswers()
      t.same(
        order,
        calls.map((c) => c.uuid),
        'connected in their original order, across the two nodes',
      )
      for (const [i, { call, node }] of placed.entries()) {
        const other = node === 'a' ? 'b' : 'a'
        const own = offers(call, node)
        t.equal(own.length, 1, `caller ${i + 1} (node ${node}) offered once, from its own node`)
        t.same(offers(call, other), [], `caller ${i + 1}: no command for it went to node ${other}`)
        if (node === 'b')
          t.match(
            own[0],
            /sofia\/internal\/1001@10\.9\.1\.1 &park\(\)$/,
            `caller ${i + 1}: through the inter-node dial string to node A`,
          )
        else t.notMatch(own[0], /sofia\/internal\/1001@/, `caller ${i + 1}: the phone dialled locally on node A`)
      }
      t.equal(phoneAnswersOnA, 3, "1001's phone on node A answered three times: for the caller on A and both on B")
      const after = commandsOf(b)
      t.ok(after.length > 0 && after.every((c) => c.at > killedAt), 'the new leader commanded only after the kill')
      t.same(
        [...new Set(after.filter((c) => /originate/.test(c.line)).map((c) => c.node))].sort(),
        ['a', 'b'],
        'and originated on both nodes',
      )

      await untilAsync(async () => {
        const r = await records(standbyApi)
        return calls.every((c) => r.get(c.uuid)?.outcome)
      }, 'records closed')
      const recs = await records(standbyApi)
      t.same(
        calls.map((c) => recs.get(c.uuid)?.outcome),
        calls.map(() => 'answered'),
        'every record closed as answered (read through the API)',
      )
      t.same(
        b.proc.lines.filter((l) => l.level >= 50).map((l) => l.msg),
        [],
        'no error logged by the new leader',
      )
    },
  )
}
