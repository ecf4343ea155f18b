/**
 * Issue 9 (hardening), a frozen ESL link: TCP stays open but no byte passes (a hung FreeSWITCH or a black-holed
 * path). The daemon notices within idle + probe timeout (an `api status` probe after a silence, see EslClient),
 * drops the link, reconnects and reconciles: a caller who arrived meanwhile is found in FreeSWITCH and offered once.
 */
import t from 'tap'
import pino from 'pino'
import { Writable } from 'node:stream'
import { rmSync } from 'node:fs'
import { startDaemon } from '../../src/daemon/daemon.js'
import { dialledFor, seedAgents, startAgentsSimulator, until } from '../helpers/agents-fixture.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const IDLE_MS = 300
const PROBE_TIMEOUT_MS = 300

const seeded = await seedAgents({
  queues: [{ number: '5960', name: 'Freeze', settings: { wrapUpSec: 0, ringTimeSec: 10 } }],
  agents: [{ extension: '9601', memberOf: ['5960'], loggedIn: ['5960'], loggedInAgoMs: 100_000 }],
})
const { sim, port } = await startAgentsSimulator({ phones: { '9601': {} } })
const proxy = new TcpProxy(port)
const proxyPort = await proxy.listen()
const logs: { msg: string; module?: string; probes?: number; level: number }[] = []
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const l of chunk.toString('utf8').split('\n')) if (l) logs.push(JSON.parse(l) as (typeof logs)[number])
    cb()
  },
})
const daemon = await startDaemon(
  {
    databasePath: seeded.dbPath,
    recordingsDir: seeded.recordingsDir,
    freeswitch: {
      host: '127.0.0.1',
      port: proxyPort,
      password: 'ClueCon',
      reconnect: { initialMs: 50, maxMs: 200 },
      idleProbeMs: IDLE_MS,
      idleProbeTimeoutMs: PROBE_TIMEOUT_MS,
    },
  },
  { logger: pino({ level: 'debug' }, sink) },
)
t.teardown(async () => {
  await daemon.stop()
  await proxy.close()
  await sim.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})
await daemon.whenRebuilt()

const probes = () => logs.filter((l) => l.msg === 'ESL idle probe').length

await t.test('a quiet, healthy link is probed and kept', async (t) => {
  const lost = logs.filter((l) => l.msg.startsWith('lost the connection')).length
  await until(() => probes() >= 2, 5000, 'two idle probes')
  t.ok(probes() >= 2, `probed after each ${IDLE_MS} ms of silence (${probes()} probes, logged at debug)`)
  t.equal(logs.find((l) => l.msg === 'ESL idle probe')?.level, 20, 'debug level')
  t.equal(daemon.freeswitch.connected, true, 'still connected')
  t.equal(logs.filter((l) => l.msg.startsWith('lost the connection')).length, lost, 'never dropped')
})

await t.test(
  'a frozen link is dropped within idle + probe timeout, then reconnect and reconcile decide: the caller who came meanwhile is offered once',
  async (t) => {
    const connects = logs.filter((l) => l.msg === 'connected to FreeSWITCH').length
    proxy.freeze()
    const frozenAt = performance.now()
    const call = sim.placeCall({ to: '5960', from: '0701000960' }) // unseen by the daemon: its link is frozen
    await until(() => !daemon.freeswitch.connected, 5000, 'the frozen link noticed')
    const noticedMs = performance.now() - frozenAt
    // Silence starts at the last byte before the freeze (≤ now); detection is due at idle + timeout after it.
    t.ok(
      noticedMs < IDLE_MS + PROBE_TIMEOUT_MS + 1500,
      `noticed after ${Math.round(noticedMs)} ms (idle ${IDLE_MS} + probe timeout ${PROBE_TIMEOUT_MS})`,
    )
    t.match(daemon.freeswitch.lastError, /did not answer a probe within 300 ms; the link is dead/)
    await until(() => logs.filter((l) => l.msg === 'connected to FreeSWITCH').length > connects, 5000, 'reconnected')
    await daemon.whenRebuilt()
    await call.waitForState('bridged', 5000)
    t.same(dialledFor(sim, call.uuid), [['9601']], 'restored from FreeSWITCH by the rebuild and offered exactly once')
    call.hangup()
  },
)

await t.test(
  'the link freezes right after an originate went out: it is not sent again; the rebuild settles the call',
  async (t) => {
    sim.endpoint('9601', { registered: true, answerAfterMs: 3000 }) // rings on past the drop, reconnect and rebuild
    const connects = logs.filter((l) => l.msg === 'connected to FreeSWITCH').length
    const call = sim.placeCall({ to: '5960', from: '0701000961' })
    await until(() => dialledFor(sim, call.uuid).length === 1, 5000, 'the originate')
    proxy.freeze() // the agent's phone rings on; its answer is not seen by the daemon
    await until(() => logs.filter((l) => l.msg === 'connected to FreeSWITCH').length > connects, 5000, 'reconnected')
    await daemon.whenRebuilt()
    await call.waitForState('bridged', 5000)
    t.same(dialledFor(sim, call.uuid), [['9601']], 'one originate only: nothing re-sent after the drop')
    call.hangup()
  },
)
