/**
 * Issue 5 "Proof", registrations across a lost FreeSWITCH connection: a phone that unregisters while the daemon
 * cannot see it is known to be unregistered after the reconnect (the daemon re-reads `show registrations`), and a
 * private call that ended meanwhile no longer marks the phone busy.
 */
import t from 'tap'
import pino from 'pino'
import { rmSync } from 'node:fs'
import { startDaemon } from '../../src/daemon/daemon.js'
import { dialledFor, seedAgents, startAgentsSimulator, until } from '../helpers/agents-fixture.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const seeded = await seedAgents({
  queues: [{ number: '5950', name: 'Reconnect', settings: { wrapUpSec: 0 } }],
  agents: [
    { extension: '9501', memberOf: ['5950'], loggedIn: ['5950'], loggedInAgoMs: 400_000 },
    { extension: '9502', memberOf: ['5950'], loggedIn: ['5950'], loggedInAgoMs: 300_000 },
    { extension: '9503', memberOf: ['5950'], loggedIn: ['5950'], loggedInAgoMs: 100_000 },
  ],
})
const { sim, port } = await startAgentsSimulator({ phones: { '9501': {}, '9502': {}, '9503': {} } })
const proxy = new TcpProxy(port)
const proxyPort = await proxy.listen()
const daemon = await startDaemon(
  {
    databasePath: seeded.dbPath,
    recordingsDir: seeded.recordingsDir,
    freeswitch: { host: '127.0.0.1', port: proxyPort, password: 'ClueCon', reconnect: { initialMs: 50, maxMs: 200 } },
  },
  { logger: pino({ level: process.env.KOPLUS_IT_LOG ?? 'silent' }, pino.destination(2)) },
)
t.teardown(async () => {
  await daemon.stop()
  await proxy.close()
  await sim.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})
await daemon.whenRebuilt()
const status = (ext: string) => daemon.status().agents.find((a) => a.agentId === seeded.agentIds.get(ext))!

await t.test('what happened to the phones while the link was down is known after the reconnect', async (t) => {
  sim.dialplan.addRoute('0709500000', () => [
    { app: 'answer', arg: '', loops: 1 },
    { app: 'park', arg: '', loops: 1 },
  ])
  const privateCall = sim.placeCall({ to: '0709500000', from: '9502', sipUser: '9502' })
  await until(() => status('9502').deviceBusy, 3000, "9502's phone busy")
  t.equal(status('9501').registered, true)

  proxy.down()
  await until(() => !daemon.freeswitch.connected, 3000, 'link cut')
  sim.unregister('9501') // unseen by koplus
  privateCall.hangup() // unseen too
  proxy.up()
  await until(() => daemon.freeswitch.connected, 5000, 'reconnected')
  await daemon.whenRebuilt()
  t.equal(status('9501').registered, false, '9501 unregistered while the link was down')
  t.equal(status('9502').deviceBusy, false, "9502's private call ended while the link was down")

  const call = sim.placeCall({ to: '5950', from: '0701000950' })
  await call.waitForState('bridged', 5000)
  t.same(
    dialledFor(sim, call.uuid),
    [['9502']],
    'the longest idle reachable agent: not 9501 (unregistered), 9502 (free again)',
  )
  call.hangup()
})
