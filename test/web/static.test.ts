/**
 * The web handler (src/api/static.ts) mounted in front of the real API server: pages, static files and
 * compiled modules are served with security headers; traversal outside the served directories is refused;
 * every other path still reaches the API. And the status watcher (src/api/status-watch.ts) notifies on state
 * changes only.
 */
import t from 'tap'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../../src/store/index.js'
import { startApiServer } from '../../src/api/server.js'
import { ChangeNotifier, type LiveControl, type StatusSnapshot } from '../../src/api/live.js'
import { mountWeb, WEB_PAGES } from '../../src/api/static.js'
import { statusFingerprint, watchStatus } from '../../src/api/status-watch.js'

t.test('web handler in front of the API server', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-static-'))
  const staticDir = join(dir, 'static')
  const scriptDir = join(dir, 'js')
  mkdirSync(staticDir)
  mkdirSync(scriptDir)
  for (const [path, file] of Object.entries(WEB_PAGES))
    writeFileSync(join(staticDir, file), `<!doctype html><title>${path}</title>`)
  writeFileSync(join(staticDir, 'koplus.css'), 'body{}')
  writeFileSync(join(staticDir, 'favicon.svg'), '<svg/>')
  writeFileSync(join(scriptDir, 'admin.js'), 'export {}')
  writeFileSync(join(dir, 'secret.txt'), 'do not serve')
  const store = await Store.open(join(dir, 'db.sqlite'))
  const changes = new ChangeNotifier()
  const live: LiveControl = {
    reloadConfig: () => undefined,
    dispatch: () => undefined,
    status: () => ({ at: 0, queues: [], agents: [] }),
    onChange: (l) => changes.subscribe(l),
  }
  const api = await startApiServer({ store, live, promptDir: join(dir, 'prompts') })
  mountWeb(api.server, { staticDir, scriptDir })
  t.teardown(async () => {
    await api.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  for (const [path, file] of Object.entries(WEB_PAGES)) {
    const res = await fetch(api.url + path)
    t.equal(res.status, 200, `${path} is served`)
    t.match(res.headers.get('content-type'), /^text\/html/)
    t.equal(await res.text(), `<!doctype html><title>${path}</title>`, `${path} is ${file}`)
    t.match(res.headers.get('content-security-policy'), /script-src 'self'/, 'with a CSP')
    t.equal(res.headers.get('x-frame-options'), 'DENY')
    t.equal(res.headers.get('x-content-type-options'), 'nosniff')
  }
  const admin2 = await fetch(api.url + '/admin/')
  t.equal(admin2.status, 200, 'a trailing slash finds the page too')

  const css = await fetch(api.url + '/static/koplus.css')
  t.equal(css.status, 200)
  t.match(css.headers.get('content-type'), /^text\/css/)
  const js = await fetch(api.url + '/js/admin.js')
  t.equal(js.status, 200)
  t.match(
    js.headers.get('content-type'),
    /^text\/javascript/,
    'modules with a JavaScript type (required for ES modules)',
  )
  const fav = await fetch(api.url + '/favicon.ico')
  t.equal(fav.status, 200)
  t.match(fav.headers.get('content-type'), /svg/)
  const head = await fetch(api.url + '/static/koplus.css', { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(head.headers.get('content-length'), '6')

  for (const bad of [
    '/static/../secret.txt',
    '/static/%2e%2e/secret.txt',
    '/js/..%2fsecret.txt',
    '/static/%00x',
    '/static/',
    '/static/nope.css',
  ]) {
    const res = await fetch(api.url + bad)
    t.not(res.status, 200, `${bad} is not served`)
    t.notMatch(await res.text(), /do not serve/)
  }

  const openapi = await fetch(api.url + '/api/openapi.json')
  t.equal(openapi.status, 200, 'the API still answers its own paths')
  const me = await fetch(api.url + '/api/v1/auth/me')
  t.equal(me.status, 401, 'and its authentication')
  const post = await fetch(api.url + '/admin', { method: 'POST' })
  t.equal(post.status, 404, 'only GET/HEAD reach the pages; the rest goes to the API (404 JSON)')
  t.match(await post.json(), { error: { code: 'NOT_FOUND' } })
})

t.test('status watcher notifies on state changes, not on the ticking clock', async (t) => {
  let snapshot: StatusSnapshot = {
    at: 1,
    queues: [{ queueId: 'q', waiting: 0, longestWaitSec: 0, callers: [] }],
    agents: [],
  }
  const changes = new ChangeNotifier()
  let notified = 0
  const waitNotify = (): Promise<void> =>
    new Promise((resolve) => {
      const off = changes.subscribe(() => {
        notified++
        off()
        resolve()
      })
    })
  // a listener must exist for the watcher to sample
  const keep = changes.subscribe(() => undefined)
  const stop = watchStatus(() => snapshot, changes, 5)
  t.teardown(() => {
    stop()
    keep()
  })
  t.equal(
    statusFingerprint({ at: 1, queues: [{ waitedSec: 3 }] }),
    statusFingerprint({ at: 2, queues: [{ waitedSec: 9 }] }),
    'clock fields are ignored',
  )
  snapshot = { ...snapshot, at: 50, queues: [{ queueId: 'q', waiting: 0, longestWaitSec: 7, callers: [] }] }
  await new Promise((r) => setTimeout(r, 40))
  t.equal(notified, 0, 'time passing alone notifies nobody')
  const p = waitNotify()
  const keepAlive = setTimeout(() => undefined, 5000) // the watcher's timer is unref'd
  snapshot = {
    ...snapshot,
    queues: [{ queueId: 'q', waiting: 1, longestWaitSec: 0, callers: [{ callId: 'c1', waitedSec: 0 }] }],
  }
  await p
  clearTimeout(keepAlive)
  t.equal(notified, 1, 'a caller joining notifies')
})
