/**
 * Configuration reloads and core events never interleave half-applied (src/daemon/daemon.ts): reloads run one at a
 * time and read the store through the write queue, and a prompt recorded by phone reaches the engine in the same
 * chain. A reload whose read was queued before the recording's write must not take the new prompt away again.
 */
import t from 'tap'
import pino from 'pino'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from '../../src/core/commands.js'
import type { CoreEvent } from '../../src/core/events.js'
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js'
import { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'

const T0 = Date.UTC(2026, 0, 12, 9, 0, 0)

async function started(t: { teardown(fn: () => unknown): void }): Promise<{ daemon: Daemon; queueId: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-reload-order-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const databasePath = join(dir, 'koplus.sqlite')
  const seed = await Store.open(databasePath)
  const q = await seed.queues.create({ number: '5000', name: 'Support', settings: { language: 'en' } })
  const a = await seed.agents.create({ extension: '1001', name: 'Alice', plan: 'pro', sipUser: '1001' })
  await seed.memberships.add(a.id, q.id)
  await seed.close()
  const daemon = await startDaemon(
    {
      databasePath,
      recordingsDir: join(dir, 'recordings'),
      freeswitch: { host: '127.0.0.1', port: 1, password: 'ClueCon' },
    },
    {
      clock: new VirtualClock(T0),
      logger: pino({ level: 'silent' }),
      connect: false,
      storeOptions: { writeQueue: { retryMinMs: 1, retryMaxMs: 2 } },
    },
  )
  t.teardown(() => daemon.stop())
  return { daemon, queueId: q.id }
}

const of = <K extends Command['type']>(cmds: readonly Command[], type: K): Extract<Command, { type: K }>[] =>
  cmds.filter((c): c is Extract<Command, { type: K }> => c.type === type)

/** Waits (turns of the event loop, no timer) until the store's write queue holds n jobs. */
async function queued(daemon: Daemon, n: number): Promise<void> {
  for (let i = 0; i < 1000 && daemon.store.writes.health().queued < n; i++) await new Promise(setImmediate)
  if (daemon.store.writes.health().queued < n) throw new Error(`the write queue never held ${n} jobs`)
}

t.test('a prompt recorded while a reload is in flight stays the queue prompt', async (t) => {
  const { daemon, queueId } = await started(t)
  const seen: CoreEvent[] = []
  daemon.onHandled((e) => seen.push(e))
  const send = (e: CoreEvent): Command[] => daemon.dispatch(e)

  // *79 1 5000: record the welcome prompt of queue 5000, up to the point where 1 keeps it
  let out = send({ type: 'feature-call', callId: 'r1', digits: '*7915000', sipUser: '1001', domain: 'default' })
  out = send({ type: 'prompt-finished', callId: 'r1', token: of(out, 'play')[0].token, interrupted: false })
  const rec = of(out, 'record')[0]
  t.ok(rec, 'recording')
  out = send({ type: 'prompt-finished', callId: 'r1', token: rec.token, interrupted: false })
  t.ok(of(out, 'play')[0], 'played back')

  // The store is unreachable for a moment: an operator's reload queues its read first, then the caller keeps the take
  let down = true
  daemon.store.writes.enqueue('outage', async () => {
    if (down) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })
  })
  const reload = daemon.reloadConfig()
  await queued(daemon, 2)
  out = send({ type: 'call-dtmf', callId: 'r1', digit: '1' })
  t.equal(of(out, 'prompt-recorded').length, 1, 'the take is kept')
  down = false
  await reload
  await daemon.store.writes.drained()
  // the chain: the recorded prompt reaches the engine after the reload
  for (let i = 0; i < 100 && !seen.some((e) => e.type === 'prompt-override-set'); i++) await new Promise(setImmediate)

  const prompts = seen.filter((e) => e.type === 'prompt-override-set' || e.type === 'prompt-override-removed')
  t.same(
    prompts.map((e) => e.type),
    ['prompt-override-set'],
    'set once and never taken away by the reload whose read came before the write',
  )
  t.match(await daemon.store.prompts.list(), [{ queueId, name: 'welcome', path: rec.path }], 'and stored')

  // the next reload reads it from the store: nothing changes
  seen.length = 0
  await daemon.reloadConfig()
  t.same(
    seen.map((e) => e.type),
    [],
    'a later reload finds the store and the engine agree',
  )
})

t.test('reloads run one after another, each seeing the changes made before it was asked for', async (t) => {
  const { daemon, queueId } = await started(t)
  const seen: CoreEvent[] = []
  daemon.onHandled((e) => seen.push(e))
  await daemon.store.queues.update(queueId, { name: 'First' })
  const first = daemon.reloadConfig()
  await daemon.store.queues.update(queueId, { name: 'Second' })
  const second = daemon.reloadConfig()
  await Promise.all([first, second])
  const names = seen.flatMap((e) => (e.type === 'queue-changed' ? [e.queue.name] : []))
  t.equal(names.at(-1), 'Second', 'the engine ends with the last change')
  t.notOk(names.includes('First') && names.indexOf('First') > names.indexOf('Second'), 'never goes back')
})
