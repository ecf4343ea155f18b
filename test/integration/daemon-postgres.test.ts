/**
 * Issue 12 item 1, end to end: the real daemon process with `database.url` on a private PostgreSQL 15
 * (test/helpers/postgres.ts) against the FreeSWITCH simulator over TCP. An operator (the daemon's own CLI operator
 * token, <data dir>/cli-token) creates a queue and an agent through the API and logs the agent in; a caller is
 * connected to the agent and hangs up. The call record, the event log and the audit of the operator's changes are
 * then read from PostgreSQL through a Store opened on the same URL, and no SQLite file was made at database.path.
 *
 * Skipped (with the reason) where PostgreSQL is not installed, except under CI=true (startPostgres).
 */
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { Store } from '../../src/store/index.js'
import { DaemonProcess, until, writeConfig } from '../helpers/daemon-process.js'
import { QUIET } from '../helpers/journey-fixture.js'
import { startPostgres } from '../helpers/postgres.js'

const pg = await startPostgres(t)

if (pg) {
  const url = await pg.createDatabase('koplus_daemon')
  const dir = mkdtempSync(join(tmpdir(), 'koplus-pg-daemon-'))
  const sqlitePath = join(dir, 'koplus.sqlite')
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  const fsPort = await sim.listen(0, '127.0.0.1')
  sim.endpoint('1001', { registered: true, answerAfterMs: 200 })
  const daemon = new DaemonProcess(writeConfig(dir, { dbPath: sqlitePath, dbUrl: url, fsPort }))
  let store: Store | undefined
  t.teardown(async () => {
    await daemon.stop()
    await store?.close()
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const api = String((await daemon.waitForLog((l) => l.msg === 'control API listening', 20_000, 'API')).address)
  await daemon.waitForLog((l) => /^rebuilt the view/.test(l.msg), 20_000, 'first rebuild')
  const token = readFileSync(join(dir, 'cli-token'), 'utf8').trim()
  /** An API call as the operator; the answer's id (of what was created) when there is one. */
  const send = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: { id: string } }> => {
    const res = await fetch(`${api}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    })
    const text = await res.text()
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as { id: string } }
  }

  await t.test('the operator creates a queue and an agent through the API; the agent logs in', async (t) => {
    const q = await send('POST', '/queues', { number: '5000', name: 'Support', settings: QUIET })
    t.equal(q.status, 201, 'queue created', { answer: q.body })
    const a = await send('POST', '/agents', { extension: '1001', name: 'Anna', plan: 'pro' })
    t.equal(a.status, 201, 'agent created', { answer: a.body })
    const m = await send('POST', '/memberships', { agentId: a.body.id, queueId: q.body.id })
    t.equal(m.status, 201, 'member of the queue', { answer: m.body })
    const login = await send('POST', `/agents/${a.body.id}/login`, {})
    t.ok(login.status >= 200 && login.status < 300, `logged in (${login.status})`, { answer: login.body })
  })

  await t.test('a caller is connected; the record and the events are in PostgreSQL', async (t) => {
    const call = sim.placeCall({ to: '5000', from: '0701234567' })
    await call.waitForState('bridged', 10_000)
    const agentId = sim.channel(call.bridgedTo ?? '')?.variables.get('koplus_agent')
    t.ok(agentId, 'bridged to an agent')
    call.hangup()

    store = await Store.open(url)
    const db = store
    t.equal(db.backend, 'postgres', 'read back from PostgreSQL')
    const queue = await db.queues.getByNumber('default', '5000')
    t.ok(queue, 'the queue the operator created is in PostgreSQL')
    const agent = (await db.agents.list()).find((x) => x.extension === '1001')
    t.equal(agent?.id, agentId, 'the agent the operator created is in PostgreSQL, and took the call')
    t.equal((await db.sessions.list({ agentId: agent!.id })).length, 1, 'the login is in PostgreSQL')

    const rec = await until(
      async () => {
        const r = await db.calls.find(call.uuid)
        return r?.endedAt != null ? r : undefined
      },
      10_000,
      'call record ended',
    )
    t.match(
      rec,
      { queueId: queue!.id, agentId, outcome: 'answered', callerNumber: '0701234567' },
      'the call record: queue, agent, answered, caller',
    )
    t.ok(rec.answeredAt! >= rec.arrivedAt && rec.endedAt! >= rec.answeredAt!, 'arrival ≤ answer ≤ end')
    const events = (await db.events.list({ callId: call.uuid })).map((e) => e.event)
    for (const e of ['ENTERQUEUE', 'CONNECT']) t.ok(events.includes(e), `event log has ${e} (${events.join(', ')})`)
    const audit = (await db.audit.list({ entity: 'queue' })).map((x) => x.action)
    t.ok(audit.length > 0, `the operator's queue change is audited in PostgreSQL (${audit.join(', ')})`)
    t.notOk(existsSync(sqlitePath), 'nothing was written to SQLite at database.path')
  })
}
