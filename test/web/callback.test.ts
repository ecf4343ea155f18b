/**
 * Issue 14 in the browser (headless Debian Chromium via playwright-core) against the real daemon and the simulator:
 * two stored pending callbacks are rebuilt in their places at start-up; the admin's Callbacks section lists them in
 * queue order, moves the second first and cancels one; the agent page says the call ringing is a callback and to
 * which number; the wallboard marks it.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import pino from 'pino'
import { startDaemon } from '../../src/daemon/index.js'
import { defaultConfig } from '../../src/config/index.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { startDaemonApi } from '../../src/api/daemon-api.js'
import { Store } from '../../src/store/index.js'
import { browserEnv } from '../helpers/faketime.js'
import { requireChromium } from '../helpers/chromium.js'

const CHROMIUM = requireChromium()

t.test('callbacks on the admin page, the agent page and the wallboard', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-web-cb-'))
  const dbPath = join(dir, 'koplus.db')
  const now = Date.now()
  const seed = await Store.open(dbPath)
  const q = await seed.queues.create({
    number: '5000',
    name: 'Support',
    settings: { callbackKey: '1', welcomePrompt: '', firstMessagePrompt: '' },
  })
  const a = await seed.agents.create({ extension: '1001', name: 'Anna', plan: 'pro' })
  await seed.memberships.add(a.id, q.id)
  await seed.accounts.create({
    username: 'admin',
    password: 'admin-password-1',
    role: 'tenant-admin',
    tenantId: q.tenantId,
  })
  await seed.accounts.create({
    username: 'anna',
    password: 'anna-password-1',
    role: 'agent',
    tenantId: q.tenantId,
    agentId: a.id,
  })
  const base = {
    tenantId: q.tenantId,
    queueId: q.id,
    requestedAt: now - 60_000,
    joinedAt: now - 90_000,
    state: 'waiting' as const,
    attempts: 0,
    nextAttemptAt: now - 60_000,
  }
  await seed.callbacks.record({ ...base, callId: 'cb-first', number: '0701111111', callerNumber: '0701111111', seq: 1 })
  await seed.callbacks.record({
    ...base,
    callId: 'cb-second',
    number: '0702222222',
    callerNumber: '0702222222',
    seq: 2,
  })
  await seed.close()

  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  sim.endpoint('1001', { registered: true, neverAnswer: true })
  const config = defaultConfig()
  config.database.path = dbPath
  config.api.port = 0
  config.freeswitch.port = await sim.listen(0)
  const logger = pino({ level: 'silent' })
  const daemon = await startDaemon(config, { logger })
  await daemon.whenRebuilt()
  const api = await startDaemonApi(daemon, config, logger)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--lang=sv-SE'],
    env: { ...browserEnv(), TZ: 'Europe/Stockholm' },
  })
  t.teardown(async () => {
    await browser.close()
    await api.close()
    await daemon.stop()
    await sim.close()
    rmSync(dir, { recursive: true, force: true })
  })
  t.same(
    daemon.status().queues[0].callers.map((c) => c.callId),
    ['cb-first', 'cb-second'],
    'rebuilt in their places',
  )

  const ctx = await browser.newContext({ baseURL: api.url, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' })
  ctx.setDefaultTimeout(10_000)
  const login = async (page: Page, username: string, password: string) => {
    await page.goto('/')
    await page.getByLabel('Användarnamn').fill(username)
    await page.getByLabel('Lösenord').fill(password)
    await page.getByRole('button', { name: 'Logga in' }).click()
  }
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await login(page, 'admin', 'admin-password-1')
  await page.waitForURL(/\/admin/)
  await page.locator('a[data-section=callbacks]').click()
  const rows = page.locator('#callback-table tbody tr')
  await rows.first().waitFor()
  t.same(
    await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-callback'))),
    ['cb-first', 'cb-second'],
    'listed in queue order',
  )
  await page.locator('tr[data-callback=cb-second] button[data-action=first]').click()
  // A locator, not a string predicate: page.waitForFunction(string) is an eval, which the pages' CSP refuses.
  await page.locator('#callback-table tbody tr:first-child[data-callback=cb-second]').waitFor()
  t.same(
    daemon.status().queues[0].callers.map((c) => c.callId),
    ['cb-second', 'cb-first'],
    'moved first in the engine',
  )
  await page.locator('tr[data-callback=cb-first] button[data-action=cancel]').click()
  await page.locator('tr[data-callback=cb-first]').waitFor({ state: 'detached' })
  t.equal((await daemon.store.callbacks.get('cb-first'))?.state, 'cancelled', 'cancelled in the store')
  t.match(await page.locator('#callback-stats').innerText(), /Beställda 2/, 'the 7-day figures')

  // The agent logs in: the callback rings the agent's phone (which never answers), and the agent page says so.
  const actx = await browser.newContext({ baseURL: api.url, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' })
  const ap = await actx.newPage()
  ap.on('pageerror', (e) => errors.push(e.message))
  await login(ap, 'anna', 'anna-password-1')
  await ap.waitForURL(/\/agent/)
  daemon.dispatch({ type: 'agent-login', agentId: a.id, source: 'api' })
  await ap.locator('#callback-next').waitFor()
  t.match(
    await ap.locator('#callback-next').innerText(),
    /Återuppringning till 0702222222/,
    'the agent sees the call is a callback',
  )
  const wb = await actx.newPage()
  await wb.goto('/wallboard')
  await wb.locator('li[data-callback=true]').first().waitFor()
  t.match(await wb.locator('li[data-callback=true]').first().innerText(), /återuppringning/, 'the wallboard marks it')
  t.same(errors, [], 'no page errors')
  await actx.close()
  await ctx.close()
})
