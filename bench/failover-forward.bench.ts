/**
 * `npm run bench -- failover-forward`: what a change sent to a standby costs (src/api/forward-to-leader.ts, issue 12).
 * Two API servers in this process stand for the two daemons of a pair on one host, sharing one SQLite file as the
 * pair does today: the leader, and a standby whose leadership view names the leader's API. The same change — a
 * queue renamed with PATCH /api/v1/queues/:id, operator token — is sent N times straight to the leader, then N times
 * to the standby, which forwards it. Printed: p50 / p99 per change for both, and the difference (one extra HTTP
 * hop over loopback, a new TCP connection per forward). Env: FORWARD_N (default 300).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChangeNotifier, type LiveControl, type LeadershipView } from '../src/api/live.js'
import { startApiServer } from '../src/api/server.js'
import { Store } from '../src/store/index.js'

function live(leadership?: () => LeadershipView): LiveControl {
  const changes = new ChangeNotifier()
  return {
    reloadConfig: () => changes.notify(),
    dispatch: () => [],
    status: () => ({ at: 0, queues: [], agents: [] }),
    onChange: (l) => changes.subscribe(l),
    ...(leadership ? { leadership } : {}),
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

export default async function forwardBench(): Promise<void> {
  const n = Number(process.env.FORWARD_N ?? 300)
  const dir = mkdtempSync(join(tmpdir(), 'koplus-forward-bench-'))
  const path = join(dir, 'koplus.sqlite')
  const seedStore = await Store.open(path)
  const queue = await seedStore.queues.create({ number: '5000', name: 'Bench' })
  const account = await seedStore.accounts.create({ username: 'op', password: 'bench password 1', role: 'operator' })
  const token = (await seedStore.accounts.createToken(account.id, 'bench')).token
  await seedStore.close()
  const leaderStore = await Store.open(path)
  const standbyStore = await Store.open(path)
  const leader = await startApiServer({ store: leaderStore, live: live(), promptDir: dir })
  const standby = await startApiServer({
    store: standbyStore,
    live: live(() => ({ role: 'standby', nodeId: 'b', leader: { nodeId: 'a', api: leader.url } })),
    promptDir: dir,
  })
  try {
    const change = async (base: string, i: number): Promise<number> => {
      const t0 = performance.now()
      const res = await fetch(`${base}/api/v1/queues/${queue.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Bench ${i}` }),
      })
      await res.arrayBuffer()
      if (res.status !== 200) throw new Error(`forward bench: ${base} answered ${res.status}`)
      return performance.now() - t0
    }
    for (let i = 0; i < 30; i++) await change(leader.url, i) // warm-up
    for (let i = 0; i < 30; i++) await change(standby.url, i)
    const direct: number[] = []
    const forwarded: number[] = []
    // interleaved, so a burst of load on the shared host hits both alike
    for (let i = 0; i < n; i++) {
      direct.push(await change(leader.url, i))
      forwarded.push(await change(standby.url, i))
    }
    direct.sort((x, y) => x - y)
    forwarded.sort((x, y) => x - y)
    const renamed = (await leaderStore.queues.get(queue.id))?.name
    const row = (label: string, s: number[]) =>
      `${label.padEnd(24)} p50 ${pct(s, 50).toFixed(2).padStart(6)} ms   p99 ${pct(s, 99).toFixed(2).padStart(6)} ms`
    console.log(`${n} changes each (PATCH /api/v1/queues/:id), one at a time; last name written: ${renamed}`)
    console.log(row('straight to the leader', direct))
    console.log(row('via the standby', forwarded))
    console.log(
      `forwarding adds p50 ${(pct(forwarded, 50) - pct(direct, 50)).toFixed(2)} ms, p99 ${(pct(forwarded, 99) - pct(direct, 99)).toFixed(2)} ms`,
    )
  } finally {
    await standby.close()
    await leader.close()
    await leaderStore.close()
    await standbyStore.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
