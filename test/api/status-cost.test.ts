/**
 * Issue 13 (10,000 waiting callers): the live status stays cheap at size.
 * - One engine snapshot per turn of the event loop, shared by every stream and request in that turn; an API action
 *   drops it at once (daemonLive, src/api/live.ts).
 * - A status stream sends at most one event per SSE_MIN_INTERVAL_MS however many changes come, and the last change
 *   is always sent (src/api/sse.ts).
 */
import t from 'tap'
import { EventEmitter } from 'node:events'
import { ChangeNotifier, daemonLive } from '../../src/api/live.js'
import { openSse } from '../../src/api/sse.js'
import type { Ctx } from '../../src/api/router.js'
import type { CenterStatus } from '../../src/core/engine/status.js'

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

function fakeEngine() {
  let version = 0
  const calls = { status: 0 }
  const engine = {
    status: (): CenterStatus => {
      calls.status++
      return { at: version, queues: [], agents: [] }
    },
    freeswitch: () => undefined,
    checkLogin: () => ({ ok: true }) as never,
    submit: () => {
      version++
      return Promise.resolve([])
    },
    reloadConfig: () => undefined,
  }
  return { engine, calls }
}

t.test('one snapshot per turn, shared; an action drops it', async (t) => {
  const { engine, calls } = fakeEngine()
  const live = daemonLive(engine, new ChangeNotifier(), { watchMs: 0 })
  t.teardown(() => live.stop())
  const a = live.status()
  const b = live.status()
  t.equal(calls.status, 1, 'ten wallboards in one turn: one snapshot')
  t.equal(a, b)
  await live.dispatch({ type: 'reevaluate' })
  t.equal((live.status() as CenterStatus).at, 1, 'after an action, the new state at once')
  t.equal(calls.status, 2)
  await turn()
  live.status()
  t.equal(calls.status, 3, 'the next turn takes a new snapshot')
})

t.test('a stream sends at most one status per interval, and always the last change', async (t) => {
  const changes = new ChangeNotifier()
  const res = Object.assign(new EventEmitter(), {
    writableEnded: false,
    chunks: [] as string[],
    writeHead: () => undefined,
    write(chunk: string) {
      this.chunks.push(chunk)
      return true
    },
  })
  const req = new EventEmitter()
  let snapshots = 0
  let state = 0
  const ctx = { res, req, live: { onChange: (l: () => void) => changes.subscribe(l) } } as unknown as Ctx
  openSse(ctx, () => (snapshots++, { state }), 40)
  t.teardown(() => req.emit('close'))
  const events = () => res.chunks.filter((c) => c.startsWith('id:'))
  await turn() // the snapshot may read the store (store-src): written once it resolves, before any change
  t.equal(events().length, 1, 'the status at once')
  for (let i = 0; i < 500; i++) {
    state = i + 1
    changes.notify()
    await turn()
  }
  // 500 changes over several turns; one more event comes after the interval with the last state.
  await new Promise<void>((resolve) => {
    const check = setInterval(
      () => events().some((e) => e.includes('"state":500')) && (clearInterval(check), resolve()),
      5,
    )
  })
  t.ok(events().length < 500 / 4, `${events().length} events for 500 changes (one per change before)`)
  t.equal(snapshots, events().length, 'a snapshot only for what is sent')
  t.match(events().at(-1), /"state":500/, 'the last change is sent')
})
