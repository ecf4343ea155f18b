/**
 * `npm run bench -- failover`: takeover by a standby daemon (issue 12, item 2). Two real daemon processes
 * (bin/koplus.js daemon) share one private PostgreSQL 15 (the leader lock) and one SQLite file (the data, see
 * docs/scale-out.md "State of this round"), one FreeSWITCH simulator, 20 agents and 120 callers: 20 talking, 100
 * waiting. The leader is killed with SIGKILL; the standby takes over and serves the 100.
 *
 * Printed (targets of issue 12): ms from the kill to the new leader's first command to FreeSWITCH (< 2000);
 * callers lost (0); waiting order kept (offers in arrival order); callers offered twice (0); records not closed
 * or closed wrongly (0). Each daemon reaches the simulator through an EslTap, so "first command" is the first
 * call-control frame on the wire from the new leader. Env: FAILOVER_CALLERS (default 100), FAILOVER_AGENTS (20).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FreeSwitchSimulator, type SimCall } from '../src/simulator/simulator.js'
import { Store } from '../src/store/index.js'
import { EslTap } from './helpers/esl-tap.js'
import { PrivatePostgres, postgresUnavailable } from './helpers/private-postgres.js'
import { BENCH_QUEUE } from './helpers/rig.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

interface Node {
  name: string
  child: ChildProcess
  tap: EslTap
  lines: { msg: string; [k: string]: unknown }[]
  exited: Promise<unknown>
}

async function waitFor(what: string, f: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = performance.now() + ms
  while (!(await f())) {
    if (performance.now() > end) throw new Error(`failover bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export default async function failover(): Promise<void> {
  const missing = postgresUnavailable()
  if (missing) {
    console.log(`skipped: ${missing}`)
    return
  }
  const waiting = Number(process.env.FAILOVER_CALLERS ?? 100)
  const agents = Number(process.env.FAILOVER_AGENTS ?? 20)
  const dir = mkdtempSync(join(tmpdir(), 'koplus-failover-'))
  const pg = new PrivatePostgres()
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  const nodes: Node[] = []
  const db = { store: undefined as Store | undefined }
  try {
    await pg.init()
    await pg.start()
    const url = await pg.createDatabase('koplus')
    const dbPath = join(dir, 'koplus.sqlite')
    // database.url puts all the daemons' data on PostgreSQL (the SQLite path is not used): seeded there
    const seed = await Store.open(url)
    const q = await seed.queues.create({
      number: '5000',
      name: 'Failover',
      settings: { ...BENCH_QUEUE, ringTimeSec: 30 },
    })
    const now = Date.now()
    const exts: string[] = []
    for (let i = 0; i < agents; i++) {
      const ext = String(2001 + i)
      exts.push(ext)
      const a = await seed.agents.create({ extension: ext, name: `Agent ${ext}`, plan: 'pro' })
      await seed.memberships.add(a.id, q.id)
      await seed.sessions.login(a.id, q.id, now - 600_000 + i * 10)
    }
    await seed.close()
    // Agents answer at once and talk for 3 s: the first `agents` callers are talking when the leader dies.
    for (const ext of exts) sim.endpoint(ext, { registered: true, answerAfterMs: 20, hangupAfterMs: 3000 })
    const fsPort = await sim.listen(0, '127.0.0.1')

    const start = async (name: string): Promise<Node> => {
      const tap = new EslTap(fsPort)
      const tapPort = await tap.listen()
      const config = join(dir, `${name}.json`)
      writeFileSync(
        config,
        JSON.stringify({
          database: { path: dbPath, url },
          freeswitch: { host: '127.0.0.1', port: tapPort, password: 'ClueCon' },
          api: { host: '127.0.0.1', port: 0 },
          sounds: { dir: join(ROOT, 'sounds') },
          recordings: { dir: join(dir, 'recordings') },
          log: { level: 'info', format: 'json' },
        }),
      )
      const child = spawn(process.execPath, [join(ROOT, 'bin/koplus.js'), 'daemon', '--config', config], {
        env: { ...process.env, KOPLUS_NODE_ID: name },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      const node: Node = { name, child, tap, lines: [], exited: new Promise((r) => child.once('exit', r)) }
      let buf = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        buf += d
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          try {
            node.lines.push(JSON.parse(buf.slice(0, nl)) as Node['lines'][number])
          } catch {
            // not JSON
          }
          buf = buf.slice(nl + 1)
        }
      })
      nodes.push(node)
      return node
    }
    const has = (n: Node, re: RegExp) => () => n.lines.some((l) => re.test(l.msg))

    const a = await start('bench-a')
    await waitFor('the first daemon to lead', has(a, /^rebuilt the view/), 30_000)
    const b = await start('bench-b')
    await waitFor(
      'the second daemon to stand by',
      () => b.lines.some((l) => l.msg === 'connected to FreeSWITCH'),
      30_000,
    )

    const calls: SimCall[] = []
    for (let i = 0; i < agents + waiting; i++)
      calls.push(sim.placeCall({ to: '5000', from: `0709${String(i).padStart(6, '0')}` }))
    const talking = calls.slice(0, agents)
    const queued = calls.slice(agents)
    await waitFor(
      'the first callers to talk',
      () => talking.every((c) => c.bridgedTo !== undefined || c.state === 'hungup'),
      30_000,
    )
    await waitFor(
      'every caller queued',
      () => calls.every((c) => !!c.variable('koplus_seq') || c.bridgedTo !== undefined || c.state === 'hungup'),
      30_000,
    )
    const standbyCommands = b.tap.commands().length
    const talkingAtKill = calls.filter((c) => c.state === 'bridged').length
    const waitingAtKill = calls.filter((c) => c.state === 'answered' && c.bridgedTo === undefined).length

    a.child.kill('SIGKILL')
    const killedAt = performance.now()
    const killedWall = Date.now()
    await a.exited
    await waitFor('the new leader to command', () => b.tap.commands().some((c) => c.at > killedAt), 30_000)
    const firstCommandMs = b.tap.commands().find((c) => c.at > killedAt)!.at - killedAt
    const tookLock = b.lines.find((l) => /^leadership: took/.test(l.msg))
    await waitFor(
      'every waiting caller served',
      () => queued.every((c) => c.state === 'hungup' || c.bridgedTo !== undefined),
      120_000,
    )
    const servedMs = performance.now() - killedAt
    await waitFor('every call over', () => calls.every((c) => c.state === 'hungup'), 60_000)

    const offers = (c: SimCall) => sim.originates.filter((o) => o.arg.includes(`koplus_call=${c.uuid}`))
    const lost = queued.filter((c) => offers(c).length === 0).length
    const twice = calls.filter((c) => offers(c).length > 1).length
    const firstOffer = (c: SimCall) => sim.originates.findIndex((o) => o.arg.includes(`koplus_call=${c.uuid}`))
    const offerOrder = queued.map(firstOffer)
    const outOfOrder = offerOrder.filter((v, i) => i > 0 && v < offerOrder[i - 1]).length
    const store = await Store.open(url)
    db.store = store
    const outcomes = async (): Promise<(string | null | undefined)[]> => {
      const out: (string | null | undefined)[] = []
      for (const c of calls) out.push((await store.calls.find(c.uuid))?.outcome)
      return out
    }
    let last: (string | null | undefined)[] = []
    await waitFor(
      'records closed',
      async () => {
        last = await outcomes()
        return last.every(Boolean)
      },
      10_000,
    ).catch(() => undefined)
    const wrong = last.filter((o) => o !== 'answered').length

    console.log(
      `daemons: 2 (leader lock on PostgreSQL ${pg.port}), agents: ${agents}, callers: ${agents + waiting} placed; at the kill ${talkingAtKill} talking, ${waitingAtKill} waiting`,
    )
    console.log(`standby commands before the kill:        ${standbyCommands} (target 0)`)
    console.log(
      `kill -9 → new leader took the lock:      ${tookLock ? `${Number(tookLock.time) - killedWall} ms (log time; then the takeover grace, 900 ms)` : 'not logged'}`,
    )
    console.log(`kill -9 → first command of new leader:   ${firstCommandMs.toFixed(0)} ms (target < 2000)`)
    console.log(`kill -9 → every waiting caller offered:  ${servedMs.toFixed(0)} ms`)
    console.log(`callers lost:                            ${lost} (target 0)`)
    console.log(`offers out of arrival order:             ${outOfOrder} (target 0)`)
    console.log(`callers offered twice:                   ${twice} (target 0)`)
    console.log(`records not closed as answered:          ${wrong} of ${calls.length} (target 0)`)
    // what went wrong, when something did: the daemons' error lines (first of each kind)
    const errors = new Map<string, string>()
    for (const n of nodes)
      for (const l of n.lines)
        if (typeof l.level === 'number' && l.level >= 50 && !errors.has(l.msg))
          errors.set(l.msg, `${n.name}: ${l.msg}${l.err ? ` (${(l.err as { message?: string }).message ?? ''})` : ''}`)
    for (const e of errors.values()) console.log(`daemon error: ${e}`)
  } finally {
    await db.store?.close()
    for (const n of nodes) {
      if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGTERM')
      await n.exited
      await n.tap.close()
    }
    await sim.close()
    await pg.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}
