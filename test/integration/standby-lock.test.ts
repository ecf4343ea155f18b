/**
 * Issue 12, item 2: who leads among daemons sharing one PostgreSQL (src/daemon/leadership.ts) — a private
 * PostgreSQL 15 (test/helpers/postgres.ts), two Leadership instances, and a TCP proxy between one of them and
 * PostgreSQL to cut or black-hole that link (never the ESL link: that is standby-failover.test.ts).
 *
 * The safety property asserted everywhere: the moment the new leader may first command is later than the last
 * moment the old one may (mayCommand() is sampled every few ms on both).
 */
import t from 'tap'
import { Leadership } from '../../src/daemon/leadership.js'
import { startPostgres } from '../helpers/postgres.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const pg = await startPostgres(t)

/** Samples mayCommand() of each instance every 2 ms; first/last true per instance (performance.now()). */
function sampler(...ls: Leadership[]): { first: (number | undefined)[]; last: (number | undefined)[]; stop(): void } {
  const first: (number | undefined)[] = ls.map(() => undefined)
  const last: (number | undefined)[] = ls.map(() => undefined)
  const timer = setInterval(() => {
    const now = performance.now()
    ls.forEach((l, i) => {
      if (!l.mayCommand()) return
      first[i] ??= now
      last[i] = now
    })
  }, 2)
  return { first, last, stop: () => clearInterval(timer) }
}

function once(l: Leadership, ev: 'leading' | 'fenced', timeoutMs = 8000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${l.nodeId}: no '${ev}' within ${timeoutMs} ms (state ${JSON.stringify(l.state())})`)),
      timeoutMs,
    )
    l.once(ev, () => {
      clearTimeout(timer)
      resolve(performance.now())
    })
  })
}

const until = async (f: () => boolean, ms = 5000, what = 'condition'): Promise<void> => {
  const end = performance.now() + ms
  while (!f()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

if (pg) {
  let n = 0
  const fresh = async (): Promise<string> => pg.createDatabase(`lead${++n}`)

  await t.test('exactly one of two leads; the standby names it and its API', async (t) => {
    const url = await fresh()
    const a = new Leadership({ url, nodeId: 'node-a', apiUrl: 'http://127.0.0.1:4001' })
    const b = new Leadership({ url, nodeId: 'node-b', apiUrl: 'http://127.0.0.1:4002' })
    t.teardown(async () => (await a.stop(), await b.stop()))
    const leadingA = once(a, 'leading')
    a.start()
    await leadingA
    b.start()
    await until(() => b.state().leader !== undefined, 3000, 'b to see the leader')
    t.equal(a.role, 'leader')
    t.equal(b.role, 'standby', 'the second one stands by')
    t.same(
      b.state().leader,
      { nodeId: 'node-a', api: 'http://127.0.0.1:4001' },
      'the standby knows who leads and where its API is',
    )
    t.ok(a.mayCommand(), 'the leader may command')
    t.notOk(b.mayCommand(), 'the standby may not')
  })

  await t.test('a new leader waits out the grace: no overlap when the old one stops', async (t) => {
    const url = await fresh()
    const a = new Leadership({ url, nodeId: 'a' })
    const b = new Leadership({ url, nodeId: 'b' })
    t.teardown(async () => (await a.stop(), await b.stop()))
    const la = once(a, 'leading')
    a.start()
    await la
    b.start()
    await until(() => b.state().leader?.nodeId === 'a', 3000, 'b sees a')
    const s = sampler(a, b)
    await until(() => s.last[0] !== undefined, 1000, 'a sampled commanding')
    const lb = once(b, 'leading')
    const stoppedAt = performance.now()
    await a.stop()
    const tookOver = await lb
    await until(() => s.first[1] !== undefined, 1000, 'b commanding')
    s.stop()
    t.ok(
      s.last[0]! < s.first[1]!,
      `a's last permitted command (${(s.last[0]! - stoppedAt).toFixed(0)} ms) before b's first (${(s.first[1]! - stoppedAt).toFixed(0)} ms)`,
    )
    t.equal(b.role, 'leader', 'b leads')
    t.comment(`takeover after a clean stop: ${(tookOver - stoppedAt).toFixed(0)} ms`)
  })

  for (const cut of ['drop', 'freeze'] as const) {
    await t.test(
      `partition (${cut === 'drop' ? 'connection reset' : 'black-holed, no FIN/RST'}) between the leader and PostgreSQL: it fences itself before the standby may command`,
      async (t) => {
        const url = await fresh()
        const proxy = new TcpProxy(pg.port)
        const proxyPort = await proxy.listen()
        const viaProxy = url.replace(`:${pg.port}/`, `:${proxyPort}/`)
        const a = new Leadership({ url: viaProxy, nodeId: 'a' })
        const b = new Leadership({ url, nodeId: 'b' })
        t.teardown(async () => (await a.stop(), await b.stop(), await proxy.close()))
        const la = once(a, 'leading')
        a.start()
        await la
        b.start()
        await until(() => b.state().leader?.nodeId === 'a', 3000, 'b sees a')
        const s = sampler(a, b)
        await until(() => s.last[0] !== undefined, 1000, 'a sampled commanding')
        const fenced = once(a, 'fenced', 3000)
        const lb = once(b, 'leading', 8000)
        const cutAt = performance.now()
        if (cut === 'drop') proxy.down()
        else proxy.freeze()
        const fencedAt = await fenced
        const tookOver = await lb
        await until(() => s.first[1] !== undefined, 1000, 'b commanding')
        s.stop()
        t.equal(a.role, 'fenced', 'the cut-off leader fenced itself')
        t.notOk(a.mayCommand(), 'and refuses commands')
        t.ok(
          fencedAt < tookOver,
          `fenced at ${(fencedAt - cutAt).toFixed(0)} ms, b leads at ${(tookOver - cutAt).toFixed(0)} ms`,
        )
        t.ok(
          s.last[0]! < s.first[1]!,
          `a's last permitted command (${(s.last[0]! - cutAt).toFixed(0)} ms) before b's first (${(s.first[1]! - cutAt).toFixed(0)} ms)`,
        )
        t.comment(
          `${cut}: fenced after ${(fencedAt - cutAt).toFixed(0)} ms, new leader after ${(tookOver - cutAt).toFixed(0)} ms`,
        )
      },
    )
  }

  await t.test(
    'a standby that cannot reach PostgreSQL stays standby and retries; bad timings are refused',
    async (t) => {
      const proxy = new TcpProxy(pg.port)
      const port = await proxy.listen()
      proxy.down()
      const url = (await fresh()).replace(`:${pg.port}/`, `:${port}/`)
      const a = new Leadership({ url, nodeId: 'a', pollMs: 50 })
      t.teardown(async () => (await a.stop(), await proxy.close()))
      a.start()
      await until(() => a.state().lastError !== undefined, 3000, 'a connection error')
      t.equal(a.role, 'standby')
      t.notOk(a.mayCommand())
      const leading = once(a, 'leading')
      proxy.up()
      await leading
      t.equal(a.role, 'leader', 'leads once PostgreSQL is reachable')
      t.throws(
        () => new Leadership({ url, nodeId: 'x', fenceMs: 500, graceMs: 400 }),
        /graceMs \(400\) must exceed fenceMs \(500\)/,
      )
      t.throws(() => new Leadership({ url, nodeId: 'x', heartbeatMs: 400, fenceMs: 500 }), /at least two heartbeats/)
    },
  )
}
