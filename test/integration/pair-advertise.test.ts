/**
 * Issue 12, api.advertiseUrl: two daemon processes on one private PostgreSQL and the simulator. The leader's API
 * listens on 127.0.0.1, but other daemons are told to reach it at api.advertiseUrl, here a TCP proxy in front of it
 * (standing for the address another host reaches it at, e.g. behind api.host 0.0.0.0 or a NAT). The standby must
 * name that URL as the leader's API and forward a change through it, not to the listening address.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { Store } from '../../src/store/index.js'
import { daemonPair, type PairNode } from '../helpers/daemon-pair.js'
import { ROOT } from '../helpers/daemon-process.js'
import { seedStore } from '../helpers/journey-fixture.js'
import { startPostgres } from '../helpers/postgres.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const pg = await startPostgres(t)

if (pg) {
  const url = await pg.createDatabase('advertise')
  const db = await Store.open(url)
  await seedStore(db, [{ number: '5000' }], [{ extension: '1001', loggedIn: ['5000'] }])
  const dir = mkdtempSync(join(tmpdir(), 'koplus-advertise-'))
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  const fsPort = await sim.listen(0, '127.0.0.1')
  const pair = daemonPair({ pgPort: pg.port, url, fsPort, dir })
  // The advertised address: a proxy whose target is set once the leader's API listens (its port is chosen then).
  const front = new TcpProxy(0)
  const frontUrl = `http://127.0.0.1:${await front.listen()}`
  t.teardown(async () => {
    await pair.stopAll()
    await front.close()
    await db.close()
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const apiOf = async (n: PairNode) =>
    String((await n.proc.waitForLog((l) => l.msg === 'control API listening', 10_000, 'API')).address)

  await t.test('the standby names the advertised URL as the leader API and forwards changes through it', async (t) => {
    const a = await pair.start('node-a', { advertiseUrl: frontUrl })
    const leaderApi = await apiOf(a)
    front.targetPort = Number(new URL(leaderApi).port)
    await pair.leads(a)
    const b = await pair.start('node-b')
    const standbyApi = await apiOf(b)
    t.not(leaderApi, frontUrl, 'the leader listens elsewhere than it advertises')

    const token = readFileSync(join(dir, 'cli-token'), 'utf8').trim()
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    type Status = { leadership?: { role: string; nodeId: string; leader?: { nodeId: string; api?: string } } }
    let status: Status = {}
    for (let i = 0; i < 50 && !status.leadership?.leader; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100))
      status = (await (await fetch(`${standbyApi}/api/v1/status`, { headers })).json()) as Status
    }
    t.same(
      status.leadership,
      { role: 'standby', nodeId: 'node-b', leader: { nodeId: 'node-a', api: frontUrl } },
      "the standby read the leader's advertised URL (from its lock connection's application_name)",
    )
    const leaderStatus = (await (await fetch(`${leaderApi}/api/v1/status`, { headers })).json()) as Status
    t.same(leaderStatus.leadership?.leader, { nodeId: 'node-a', api: frontUrl }, 'the leader says the same')

    const cliStatus = (api: string) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          [join(ROOT, 'bin/koplus.js'), '--api', api, '--token', token, 'status'],
          { timeout: 20_000 },
          (err, stdout) => (err ? reject(new Error(err.message, { cause: err })) : resolve(stdout)),
        ),
      )
    const esc = (s: string) => s.replace(/[.]/g, '\\.')
    t.match(
      await cliStatus(standbyApi),
      new RegExp(`^Leader: node-a at ${esc(frontUrl)} — this daemon \\(node-b\\) is standby$`, 'm'),
      '`koplus status` on the standby names the advertised URL',
    )
    t.match(
      await cliStatus(leaderApi),
      new RegExp(`^Leader: this daemon \\(node-a\\) at ${esc(frontUrl)}$`, 'm'),
      'and on the leader',
    )

    const before = front.connections
    const res = await fetch(`${standbyApi}/api/v1/queues`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ number: '5998', name: 'Advertised' }),
    })
    t.equal(res.status, 201, "the leader's 201")
    t.equal(res.headers.get('x-koplus-answered-by'), 'node-a', 'answered by the leader')
    t.equal(front.connections - before, 1, 'through the advertised address')
    t.equal(
      a.proc.lines.filter((l) => l.msg === 'api change' && l.route === 'queues.create').length,
      1,
      'applied once, by the leader',
    )
    t.notOk(
      b.proc.lines.some((l) => l.msg === 'api change'),
      'the standby applied nothing',
    )
  })
}
