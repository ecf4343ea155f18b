/**
 * Issue 14: a callback survives a takeover. Two real daemon processes (active/standby over a private PostgreSQL 15
 * leader lock and all their data, test/helpers/postgres.ts, as in standby-failover.test.ts), one
 * FreeSWITCH simulator. A caller asks for a callback under the first leader and hangs up; a second caller waits
 * behind it; the leader is killed (-9). The standby takes over and calls back — the callback first, in its place,
 * then the caller behind it.
 */
import t from 'tap'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import { Store } from '../../src/store/index.js'
import { ROOT } from '../helpers/daemon-process.js'
import { seedStore, until } from '../helpers/journey-fixture.js'
import { startPostgres } from '../helpers/postgres.js'
import { daemonPair } from '../helpers/daemon-pair.js'

const pg = await startPostgres(t)

if (pg) {
  const url = await pg.createDatabase('callback_pair')
  // database.url holds all the daemons' data: the queue and the agent are seeded in PostgreSQL.
  const db = await Store.open(url)
  const agents = await seedStore(
    db,
    [
      {
        number: '5000',
        settings: { callbackKey: '1', announcePosition: true, positionIntervalSec: 30, callbackRetries: 0 },
      },
    ],
    [{ extension: '1001', loggedIn: ['5000'] }],
  )
  const dir = mkdtempSync(join(tmpdir(), 'koplus-callback-pair-'))
  const seeded = { dir, dbPath: join(dir, 'koplus.sqlite') }
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  // Every prompt short (real time): the test is about the takeover, not the words.
  for (const lang of ['sv', 'en'])
    for (const f of readdirSync(join(ROOT, 'sounds', lang)))
      if (f.endsWith('.wav')) sim.fileDurations.set(join(ROOT, 'sounds', lang, f), 150)
  const fsPort = await sim.listen(0, '127.0.0.1')
  sim.endpoint('1001', { registered: false })
  sim.endpoint(/^sofia\/gateway\/[^/]+\/0701234567$/, { answerAfterMs: 100, pressKeys: { keys: '1', afterMs: 300 } })
  const pair = daemonPair({ pgPort: pg.port, url, fsPort, dir: seeded.dir })
  const { start, leads } = pair
  t.teardown(async () => {
    await pair.stopAll()
    await db.close()
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })

  const heard = (c: SimCall, id: string) => c.heard().some((h) => h.file.endsWith(`/${id}.wav`))

  const a = await start('node-a')
  await leads(a)
  const b = await start('node-b')
  await b.proc.waitForLog((l) => l.msg === 'connected to FreeSWITCH' && l.role === 'standby', 1000, 'b standing by')

  await t.test('a callback requested under the first leader is carried out by the second, in its place', async (t) => {
    const caller = sim.placeCall({ to: '5000', from: '0701234567' })
    await sim.waitFor(() => heard(caller, 'callback-offer'), 15_000, 'the callback offer')
    caller.pressKeys('1')
    await sim.waitFor(() => heard(caller, 'callback-accept-or-type'), 10_000, 'the number read back')
    caller.pressKeys('1')
    await caller.waitForState('hungup', 15_000)
    await until(async () => (await db.callbacks.get(caller.uuid))?.state === 'waiting', 3000, 'stored as waiting')
    const behind = sim.placeCall({ to: '5000', from: '0709999999' })
    await sim.waitFor(() => !!behind.variable('koplus_seq'), 5000, 'the second caller in the queue')
    t.same(b.tap.commands(), [], 'the standby sent FreeSWITCH no command')

    a.proc.child.kill('SIGKILL')
    const killedAt = performance.now()
    await a.proc.exited
    await leads(b)
    const open = await db.calls.find(caller.uuid)
    t.same(
      [open?.outcome, open?.endedAt],
      ['callback', null],
      "the takeover's rebuild did not close its call record as abandoned",
    )
    sim.endpoint('1001', { registered: true, answerAfterMs: 50, hangupAfterMs: 3000 })
    await until(
      async () => (await db.callbacks.get(caller.uuid))?.state === 'completed',
      20_000,
      'called back by the new leader',
    )
    const cb = (await db.callbacks.get(caller.uuid))!
    t.ok(cb.connectedAt! >= cb.requestedAt, 'connected, time from the request recorded')
    t.ok(
      b.tap.commands().some((c) => /sofia\/gateway\/[^/]+\/0701234567/.test(c.line)) &&
        b.tap.commands().every((c) => c.at > killedAt),
      'by the new leader, after the old one died',
    )
    await behind.waitForState('bridged', 15_000)
    const first = sim.originates.findIndex((o) => o.arg.includes(`koplus_call=${caller.uuid}`))
    const second = sim.originates.findIndex((o) => o.arg.includes(`koplus_call=${behind.uuid}`))
    t.ok(first >= 0 && first < second, 'the callback kept its place: offered before the caller behind it')
    t.equal((await db.callbacks.get(caller.uuid))?.attempts, 1, 'one attempt')
    const record = await until(async () => {
      const r = await db.calls.find(caller.uuid)
      return r?.endedAt ? r : undefined
    })
    t.same(
      [record.outcome, record.agentId],
      ['answered', agents.agents['1001']],
      'its call record closes as answered by the agent',
    )
  })
}
