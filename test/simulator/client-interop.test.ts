/** Our own EslClient (src/freeswitch/esl) against the simulator over TCP: the daemon's real path. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { EslClient, type EslEvent } from '../../src/freeswitch/esl/index.js'
import { FreeSwitchSimulator, makeWav } from '../../src/simulator/index.js'

const dir = mkdtempSync(join(tmpdir(), 'koplus-sim-'))
const HELLO = join(dir, 'hello.wav')
writeFileSync(HELLO, makeWav(300))

t.test('EslClient: api, bgapi originate, execute with completion, multi-line sendmsg body, events', async (t) => {
  const sim = new FreeSwitchSimulator()
  sim.endpoint('1001', { answerAfterMs: 50, registered: true })
  const port = await sim.listen(0)
  const client = new EslClient({ host: '127.0.0.1', port, password: 'ClueCon', reconnect: false })
  const seen: EslEvent[] = []
  client.on('event', (e) => seen.push(e))
  await client.connect()
  t.match(await client.api('status'), /^UP /)
  const parked = new Promise<EslEvent>((resolve) =>
    client.on('event', (e) => {
      if (e.name === 'CHANNEL_PARK' && e.variable('koplus_queue') === '5000') resolve(e)
    }),
  )
  const call = sim.placeCall({ to: '5000', from: '46701234567', domain: 'acme' })
  const park = await parked
  t.equal(park.uuid, call.uuid)
  t.equal(park.variable('koplus_tenant'), 'acme')
  await client.execute(call.uuid, 'answer')
  t.equal(call.state, 'answered')
  const played = await client.execute(call.uuid, 'playback', HELLO)
  t.ok(played, 'playback completed')
  t.equal(call.heard()[0]?.file, HELLO)
  await client.execute(call.uuid, 'set', 'koplus_announce=a\nb')
  t.equal(call.variable('koplus_announce'), 'a\nb', 'text/plain body became the argument')
  const job = await client.bgapi(
    'originate {origination_uuid=66666666-0000-4000-8000-000000000001,originate_timeout=5}user/1001 &park()',
  )
  t.match(JSON.stringify(job), /\+OK 66666666-0000-4000-8000-000000000001/)
  t.equal(
    await client.api(`uuid_bridge ${call.uuid} 66666666-0000-4000-8000-000000000001`),
    '+OK 66666666-0000-4000-8000-000000000001\n',
  )
  await call.waitForState('bridged')
  await client.api('uuid_kill 66666666-0000-4000-8000-000000000001')
  await call.waitForState('hungup')
  await sim.waitFor(() => seen.some((e) => e.name === 'CHANNEL_DESTROY' && e.uuid === call.uuid))
  t.ok(seen.some((e) => e.name === 'CHANNEL_BRIDGE'))
  await client.close()
  await sim.close()
})
