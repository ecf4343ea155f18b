/**
 * Issue 5 "Proof" through the real daemon process (bin/koplus.js daemon --config, or its TypeScript stand-in) and
 * its config file, against the simulator over TCP: feature codes from the config's defaults, the mobile dial
 * string from the config's template and gateway (devices.mobile, devices.mobileGateway = pstn), mobile
 * confirmation, and a prompt recorded by phone into the configured recordings directory.
 */
import t from 'tap'
import { existsSync, rmSync } from 'node:fs'
import { Store } from '../../src/store/index.js'
import { sayLoggedIn } from '../../src/core/speech/index.js'
import { DaemonProcess, writeConfig } from '../helpers/daemon-process.js'
import { dialledFor, seedAgents, startAgentsSimulator, until } from '../helpers/agents-fixture.js'
import { basename } from 'node:path'

const MOBILE = '0701900001'
const seeded = await seedAgents({
  queues: [{ number: '5900', name: 'Process' }],
  agents: [
    {
      extension: '1901',
      devices: [
        { type: 'softphone', target: '1901' },
        { type: 'mobile', target: MOBILE },
      ],
      memberOf: ['5900'],
    },
  ],
})
const { sim, port } = await startAgentsSimulator({
  phones: { '1901': {} },
  // The config's default mobile template: sofia/gateway/${gateway}/${target} with gateway pstn.
  patterns: [
    {
      pattern: `sofia/gateway/pstn/${MOBILE}`,
      behaviour: { answerAfterMs: 100, pressKeys: { keys: '1', afterMs: 10 } },
    },
  ],
})
const configPath = writeConfig(seeded.dir, { dbPath: seeded.dbPath, fsPort: port })
const db = await Store.open(seeded.dbPath)
const daemon = new DaemonProcess(configPath)
const a1901 = seeded.agentIds.get('1901')!
const q5900 = seeded.queueIds.get('5900')!

t.teardown(async () => {
  await daemon.stop()
  await db.close()
  await sim.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})

await daemon.waitForLog((l) => /^rebuilt the view/.test(l.msg), 20_000, 'rebuild')

async function dial(code: string) {
  const call = sim.placeCall({ to: code, from: '1901', sipUser: '1901' })
  await call.waitForState('hungup', 5000)
  return call.heard().map((h) => basename(h.file).replace(/\.wav$/, ''))
}

await t.test(
  '*71 and *73 in the daemon process; a queue call reaches the mobile through the configured gateway',
  async (t) => {
    t.same(await dial('*71'), sayLoggedIn(1, 'sv'), '"inloggad i en kö"')
    t.same(
      (await db.sessions.list({ agentId: a1901 })).map((s) => s.queueId),
      [q5900],
      'session in SQLite',
    )
    t.same(await dial('*732'), ['agent-device-mobile'])
    t.equal((await db.agents.get(a1901)).activeDevice, 1)
    const call = sim.placeCall({ to: '5900', from: '0701000900' })
    await call.waitForState('bridged', 8000)
    t.same(dialledFor(sim, call.uuid), [[MOBILE]])
    const originate = sim.originates.find((o) => o.arg.includes(`koplus_call=${call.uuid}`))!
    t.match(originate.arg, new RegExp(`sofia/gateway/pstn/${MOBILE}`), 'the dial string from the config template')
    const leg = sim.channel(call.bridgedTo!)!
    t.ok(
      leg.heard.some((h) => /agent-offer-mobile/.test(h.file)),
      'the mobile heard "press 1" and pressed it',
    )
    call.hangup()
    await until(async () => (await db.calls.find(call.uuid))?.endedAt != null, 5000, 'call record ended')
    t.equal((await db.calls.get(call.uuid)).agentId, a1901)
  },
)

await t.test('*79 in the daemon process: the recording lands in the configured recordings directory', async (t) => {
  const call = sim.placeCall({ to: '*7925900', from: '1901', sipUser: '1901' })
  await sim.waitFor(() => call.channel.running?.call.app === 'record', 5000, 'recording')
  const path = call.channel.running!.call.arg.split(' ')[0]
  t.ok(path.startsWith(seeded.recordingsDir), `under recordings.dir (${path})`)
  call.talk(true)
  call.pressKeys('#')
  await sim.waitFor(() => call.heard().some((h) => /record-confirm/.test(h.file)), 5000, 'review')
  call.pressKeys('1')
  await call.waitForState('hungup', 5000)
  t.ok(existsSync(path), 'the file exists')
  const row = await until(() => db.prompts.lookup('default', q5900, 'sv', 'queue-first'), 3000, 'prompt row')
  t.equal(row.path, path, "prompt 2 = the queue's first message")
})
