/**
 * The API sees the engine only through a narrow read-only view plus a feed of events (issue 11 item 3):
 * engineViewOf hands over status, the login check, the FreeSWITCH link, submit and reloadConfig — never the
 * engine object — and no file of src/api but engine-view.ts reaches into the daemon's engine.
 */
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { engineViewOf } from '../../src/api/engine-view.js'
import { ChangeNotifier, daemonLive } from '../../src/api/live.js'
import type { CoreEvent } from '../../src/core/events.js'

function fakeDaemon() {
  const submitted: CoreEvent[] = []
  let reloads = 0
  let persistedWaits = 0
  const status = { at: 5, queues: [], agents: [] }
  const daemon = {
    center: {
      checkLogin: (agentId: string, queueIds?: string[]) =>
        agentId === 'a1'
          ? { ok: true as const, queueIds: queueIds ?? ['q1'] }
          : { ok: false as const, reason: 'unknown-agent', message: `unknown agent ${agentId}` },
    },
    dispatch: (event: CoreEvent) => {
      submitted.push(event)
      return [{ type: 'rejected', agentId: 'a1' }]
    },
    /** The daemon's "the writes of the events so far are in the store" (submit waits for it). */
    persisted: () => {
      persistedWaits++
      return Promise.resolve()
    },
    reloadConfig: () => {
      reloads++
      return Promise.resolve()
    },
    status: () => status,
    freeswitch: { address: '127.0.0.1:8021', connected: true },
  }
  return { daemon, submitted, status, reloads: () => reloads, persistedWaits: () => persistedWaits }
}

t.test('engineViewOf: the view and feed, nothing else of the daemon', async (t) => {
  const f = fakeDaemon()
  const view = engineViewOf(f.daemon as never)
  t.same(
    Object.keys(view).sort(),
    ['checkLogin', 'freeswitch', 'reloadConfig', 'status', 'submit'],
    'no engine object among the keys',
  )
  t.equal(view.status(), f.status, 'status is the engine status now')
  t.same(view.checkLogin('a1', ['q2']), { ok: true, queueIds: ['q2'] })
  t.same(view.checkLogin('zz'), { ok: false, reason: 'unknown-agent', message: 'unknown agent zz' })
  const link = view.freeswitch()!
  t.same(link, { address: '127.0.0.1:8021', connected: true })
  link.connected = false
  t.equal(f.daemon.freeswitch.connected, true, 'the link handed out is a copy (read-only view)')
  t.same(
    await view.submit({ type: 'reevaluate' }),
    [{ type: 'rejected', agentId: 'a1' }],
    'submit resolves with the commands',
  )
  t.same(f.submitted, [{ type: 'reevaluate' }])
  t.equal(f.persistedWaits(), 1, 'after the event’s writes are in the store')
  await view.reloadConfig()
  t.equal(f.reloads(), 1)
})

t.test('daemonLive works over the view: actions are submitted and notify listeners', async (t) => {
  const f = fakeDaemon()
  const changes = new ChangeNotifier()
  const live = daemonLive(engineViewOf(f.daemon as never), changes, { watchMs: 0 })
  let notified = 0
  live.onChange(() => notified++)
  await live.dispatch({ type: 'reevaluate' })
  await live.reloadConfig()
  t.same(f.submitted, [{ type: 'reevaluate' }])
  t.equal(f.reloads(), 1)
  t.equal(notified, 2, 'one notification per change')
  t.same(live.checkLogin!('a1'), { ok: true, queueIds: ['q1'] })
  t.same(live.freeswitch!(), { address: '127.0.0.1:8021', connected: true })
  live.stop()
})

t.test('no file of src/api but engine-view.ts reaches the engine class', async (t) => {
  const dir = join(import.meta.dirname, '../../src/api')
  const offenders: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.ts') && e.name !== 'engine-view.ts') {
        const text = readFileSync(p, 'utf8')
        if (/call-center\.js|\bCallCenter\b|\.center\b/.test(text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
          offenders.push(e.name)
      }
    }
  }
  walk(dir)
  t.same(offenders, [], 'only engineViewOf reads daemon.center')
})
