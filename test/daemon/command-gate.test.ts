/**
 * The one place commands leave the daemon (src/daemon/command-gate.ts): a standby's port passes read-only `api`
 * commands (a rebuild's `show channels`, `uuid_exists`) and refuses every call-control command before it is sent.
 */
import t from 'tap'
import { gatedPort, isReadOnlyApi, NotLeaderError } from '../../src/daemon/command-gate.js'
import type { EslPort } from '../../src/freeswitch/adapter/port.js'

function recorder(): EslPort & { sent: string[] } {
  const sent: string[] = []
  return {
    sent,
    api: async (c) => (sent.push(`api ${c}`), '+OK'),
    bgapi: async (c) => (sent.push(`bgapi ${c}`), { ok: true, body: '+OK', jobUuid: 'j' }),
    execute: async (u, app, arg) => (sent.push(`execute ${u} ${app} ${arg ?? ''}`.trim()), { ok: true } as never),
    sendmsg: async (u, h) => (sent.push(`sendmsg ${u} ${h['call-command']}`), '+OK'),
  }
}

t.test('read-only api commands are recognised; call control is not', async (t) => {
  for (const c of [
    'show channels as json',
    'show registrations as json',
    'uuid_exists abc',
    'uuid_getvar abc koplus_seq',
    'uuid_dump abc json',
    'status',
    'sofia status profile internal',
  ])
    t.ok(isReadOnlyApi(c), c)
  for (const c of [
    'originate {a=b}user/1001 &park()',
    'uuid_bridge a b',
    'uuid_kill a',
    'uuid_setvar a koplus_seq 1',
    'uuid_transfer a 5000',
    'uuid_broadcast a x',
    'showx',
    'statusx',
  ])
    t.notOk(isReadOnlyApi(c), c)
})

t.test(
  'while the daemon may not command, nothing but reads reaches the client, and refusals are counted',
  async (t) => {
    let may = false
    const client = recorder()
    const port = gatedPort(client, () => may)
    t.equal(await port.api('show channels as json'), '+OK', 'a read passes')
    await t.rejects(port.api('uuid_kill abc'), NotLeaderError)
    await t.rejects(port.bgapi('originate user/1001 &park()'), { code: 'KOPLUS_NOT_LEADER' })
    await t.rejects(port.execute('abc', 'playback', 'x.wav'), NotLeaderError)
    await t.rejects(port.sendmsg('abc', { 'call-command': 'hangup' }), NotLeaderError)
    t.same(client.sent, ['api show channels as json'], 'only the read was written')
    t.same(port.counters, { sent: 0, refused: 4 })
    may = true
    await port.bgapi('originate user/1001 &park()')
    await port.sendmsg('abc', { 'call-command': 'hangup' })
    t.same(
      client.sent.slice(1),
      ['bgapi originate user/1001 &park()', 'sendmsg abc hangup'],
      'the gate is read at the moment of sending',
    )
    t.same(port.counters, { sent: 2, refused: 4 })
  },
)

t.test(
  'executeThen (the hold music path): refused like execute while the daemon may not command, never synchronously',
  async (t) => {
    let may = false
    const client = recorder()
    const port = gatedPort(client, () => may)
    const outcome = (): Promise<{ err?: Error; sync: boolean }> =>
      new Promise((resolve) => {
        let returned = false
        port.executeThen!('abc', 'playback', 'moh.wav', { loops: -1 }, (err) =>
          resolve(err ? { err, sync: !returned } : { sync: !returned }),
        )
        returned = true
      })
    const refused = await outcome()
    t.type(refused.err, NotLeaderError, 'refused with NotLeaderError')
    t.equal(refused.sync, false, 'the callback came after executeThen returned')
    t.same(client.sent, [], 'nothing written')
    may = true
    const ok = await outcome()
    t.equal(ok.err, undefined, 'allowed: the client ran it')
    t.same(
      client.sent,
      ['execute abc playback moh.wav'],
      'through the client (its execute, as this fake has no executeThen)',
    )
    t.same(port.counters, { sent: 1, refused: 1 })
  },
)
