/**
 * WCAG 2.1 A/AA of the web pages (issue 16): axe-core (injected with playwright-core into headless Debian Chromium)
 * runs on every page, logged in as each role (operator, tenant administrator, agent), at desktop and phone width,
 * with the rules tagged wcag2a, wcag2aa, wcag21a and wcag21aa; any violation fails. The agent page is also used
 * with the keyboard only: log in to a queue, pause and resume, choose a device and end wrap-up, without a mouse.
 *
 * The pages run against the real daemon (startDaemon) and the in-process FreeSWITCH simulator, as pages.test.ts.
 */
import t from 'tap'
import type { Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { engineViewOf } from '../../src/api/engine-view.js'
import { ChangeNotifier, daemonLive } from '../../src/api/live.js'
import { watchStatus } from '../../src/api/status-watch.js'
import { mountWeb } from '../../src/api/static.js'
import { browserEnv } from '../helpers/faketime.js'
import { requireChromium } from '../helpers/chromium.js'

/** The browser's globals, used only inside page.evaluate / waitForFunction (the tests compile without the DOM lib). */
declare const window: object
declare const document: {
  activeElement: { id: string; matches(selector: string): boolean } | null
  querySelector(selector: string): { checked?: boolean } | null
}
type Document = typeof document

const CHROMIUM = requireChromium()
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js')
const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']
const PHONE = { width: 390, height: 844 }
const DESKTOP = { width: 1360, height: 900 }
const USERS = {
  operator: { username: 'olle', password: 'olle-password-1' },
  admin: { username: 'admin', password: 'admin-password-1' },
  agent: { username: 'anna', password: 'anna-password-1' },
}

interface World {
  dir: string
  sim: FreeSwitchSimulator
  daemon: Daemon
  api: ApiServer
  browser: Browser
  stopWatch: () => void
  queueId: string
  salesId: string
  agentId: string
}

async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-a11y-'))
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  sim.endpoint('1001', { registered: true, answerAfterMs: 200 })
  const eslPort = await sim.listen(0)
  const daemon = await startDaemon({
    databasePath: join(dir, 'koplus.db'),
    freeswitch: { host: '127.0.0.1', port: eslPort, password: 'ClueCon' },
  })
  await daemon.whenRebuilt()
  const changes = new ChangeNotifier()
  const stopWatch = watchStatus(() => daemon.status(), changes, 50)
  const api = await startApiServer({
    store: daemon.store,
    live: daemonLive(engineViewOf(daemon), changes),
    promptDir: join(dir, 'prompts'),
  })
  mountWeb(api.server)
  const s = daemon.store
  // a long wrap-up, so the keyboard test has time to end it by hand
  const queue = await s.queues.create({
    tenantId: 'default',
    number: '5010',
    name: 'Support',
    tags: ['support'],
    settings: { wrapUpSec: 600, welcomePrompt: '' },
  })
  // a second queue with opening hours (open, closed and special rules) and a closure, so the admin pages show
  // their week grid, pills and tables filled; and two calls of a minute ago for the statistics
  const sales = await s.queues.create({ tenantId: 'default', number: '5020', name: 'Försäljning', tags: ['sales'] })
  await s.queues.update(sales.id, {
    schedule: {
      timeZone: 'Europe/Stockholm',
      calendarIds: [],
      rules: [
        {
          id: 'weekdays',
          kind: 'open',
          rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
          start: '08:00',
          durationMinutes: 540,
          label: 'Kontorstid',
        },
        {
          id: 'lunch',
          kind: 'closed',
          rrule: 'FREQ=WEEKLY;BYDAY=FR',
          start: '12:00',
          durationMinutes: 60,
          label: 'Lunch',
        },
        {
          id: 'sat',
          kind: 'special',
          rrule: 'FREQ=WEEKLY;BYDAY=SA',
          start: '10:00',
          durationMinutes: 120,
          label: 'Lördag',
        },
      ],
    },
  })
  await s.closures.create({
    tenantId: 'default',
    scope: { kind: 'queues', queueIds: [sales.id] },
    from: Date.now(),
    until: Date.now() + 3600_000,
    reason: 'Personalmöte',
    by: 'admin',
  })
  const minuteAgo = Date.now() - 60_000
  await s.calls.start({
    callId: 'c-answered',
    tenantId: 'default',
    queueId: sales.id,
    arrivedAt: minuteAgo,
    callerNumber: '0701112233',
    enteredQueueAt: minuteAgo,
  })
  await s.calls.update('c-answered', {
    answeredAt: minuteAgo + 12_000,
    endedAt: minuteAgo + 40_000,
    outcome: 'answered',
    waitMs: 12_000,
    talkMs: 28_000,
  })
  await s.calls.start({
    callId: 'c-abandoned',
    tenantId: 'default',
    queueId: sales.id,
    arrivedAt: minuteAgo,
    callerNumber: '0709998877',
    enteredQueueAt: minuteAgo,
  })
  await s.calls.update('c-abandoned', { endedAt: minuteAgo + 30_000, outcome: 'abandoned', waitMs: 30_000 })
  const agent = await s.agents.create({
    tenantId: 'default',
    extension: '1001',
    name: 'Anna Berg',
    plan: 'pro',
    sipUser: '1001',
    devices: [
      { type: 'softphone', target: '1001' },
      { type: 'mobile', target: '0701234567' },
    ],
  })
  await s.memberships.add(agent.id, queue.id)
  await s.accounts.create({ ...USERS.operator, role: 'operator', tenantId: null })
  await s.accounts.create({ ...USERS.admin, role: 'tenant-admin', tenantId: 'default' })
  await s.accounts.create({ ...USERS.agent, role: 'agent', tenantId: 'default', agentId: agent.id })
  await daemon.reloadConfig()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--lang=sv-SE',
    ],
    env: { ...browserEnv(), TZ: 'Europe/Stockholm' },
  })
  return { dir, sim, daemon, api, browser, stopWatch, queueId: queue.id, salesId: sales.id, agentId: agent.id }
}

async function stopWorld(w: World): Promise<void> {
  await w.browser.close()
  w.stopWatch()
  await w.api.close()
  await w.daemon.stop()
  await w.sim.close()
  rmSync(w.dir, { recursive: true, force: true })
}

async function newPage(w: World, viewport: { width: number; height: number }): Promise<Page> {
  // bypassCSP: the pages' Content-Security-Policy (script-src 'self') would refuse the injected axe-core
  const ctx = await w.browser.newContext({
    baseURL: w.api.url,
    viewport,
    locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm',
    bypassCSP: true,
  })
  ctx.setDefaultTimeout(10_000)
  return ctx.newPage()
}

async function login(page: Page, who: { username: string; password: string }, landsOn: string): Promise<void> {
  await page.goto('/')
  await page.getByLabel('Användarnamn').fill(who.username)
  await page.getByLabel('Lösenord').fill(who.password)
  await page.getByRole('button', { name: 'Logga in' }).click()
  await page.waitForURL(`**${landsOn}`)
}

interface AxeViolation {
  id: string
  impact: string
  help: string
  nodes: { target: string[]; failureSummary: string }[]
}

/** axe-core's WCAG 2.1 A/AA violations of the page as it is now, one line per element. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE })
  const found = (await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: unknown[] }> } })
      .axe
    return (await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })).violations
  }, WCAG21_AA)) as AxeViolation[]
  return found.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}) ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
  )
}

/** Wait until the page has rendered its content (no aria-busy left), then check it. */
async function check(t: Test, page: Page, what: string): Promise<void> {
  await page
    .locator('#app[aria-busy=true]')
    .waitFor({ state: 'detached' })
    .catch(() => undefined)
  await page.waitForLoadState('networkidle').catch(() => undefined)
  const v = await violations(page)
  t.same(v, [], `${what}: no WCAG 2.1 A/AA violation`)
}

const ADMIN_SECTIONS = ['queues', 'hours', 'closures', 'agents', 'prompts', 'stats']

t.test('axe-core: every page, each role, desktop and phone width', async (t) => {
  const w = await startWorld()
  t.teardown(() => stopWorld(w))
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    const anon = await newPage(w, viewport)
    await anon.goto('/')
    await anon.getByLabel('Användarnamn').waitFor()
    await check(t, anon, `login page (${size})`)
    await anon.getByRole('button', { name: 'Logga in' }).click() // empty form: the error shows
    await anon
      .locator('#login-error')
      .waitFor()
      .catch(() => undefined)
    await check(t, anon, `login page with an error (${size})`)
    await anon.context().close()

    for (const role of ['operator', 'admin'] as const) {
      const page = await newPage(w, viewport)
      await login(page, USERS[role], '/admin')
      for (const section of ADMIN_SECTIONS) {
        await page.goto(`/admin#${section}`)
        await page.locator(`a[data-section=${section}][aria-current=page]`).waitFor()
        await check(t, page, `/admin#${section} as ${role} (${size})`)
      }
      await page.goto(`/admin#hours/${w.salesId}`)
      await page.locator('#rule-form').waitFor()
      await page.locator('.week .block').first().waitFor()
      await check(t, page, `/admin#hours/<queue> as ${role} (${size})`)
      await page.goto('/admin#queues')
      await page.locator('#new-queue').click()
      await page.locator('#queue-form').waitFor()
      await check(t, page, `the queue form as ${role} (${size})`)
      await page.goto('/admin#agents')
      await page.locator('#new-agent').click()
      await page.locator('#agent-form').waitFor()
      await check(t, page, `the agent form as ${role} (${size})`)
      await page.locator('#lang-switch button[lang=en]').click()
      await page.locator('html[lang=en]').waitFor()
      await page.locator('#app[aria-busy=false]').waitFor()
      await check(t, page, `/admin in English as ${role} (${size})`)
      await page.locator('#lang-switch button[lang=sv]').click()
      await page.goto('/wallboard')
      await page.locator('.wb-queue').first().waitFor()
      await check(t, page, `/wallboard as ${role} (${size})`)
      await page.context().close()
    }

    const agent = await newPage(w, viewport)
    await login(agent, USERS.agent, '/agent')
    await agent.goto('/wallboard')
    await agent.locator('.wb-queue').first().waitFor()
    await check(t, agent, `/wallboard as agent (${size})`)
    await agent.goto('/agent')
    await agent.locator(`.queue-card[data-queue="${w.queueId}"]`).waitFor()
    await check(t, agent, `/agent logged out of the queues (${size})`)
    await agent.locator(`.queue-card[data-queue="${w.queueId}"] label.switch`).click()
    await agent.locator('#agent-state[data-state=free]').waitFor()
    await check(t, agent, `/agent logged in (${size})`)
    await agent.locator('#pause').click()
    await agent.locator('#agent-state[data-state=paused]').waitFor()
    await check(t, agent, `/agent paused (${size})`)
    await agent.locator('#resume').click()
    await agent.locator('#agent-state[data-state=free]').waitFor()
    await agent.locator(`.queue-card[data-queue="${w.queueId}"] label.switch`).click()
    await agent.locator('#agent-state[data-state=logged-out]').waitFor()
    await agent.context().close()
  }
})

/** Press Tab until the element matching `selector` has the focus (at most `max` presses); returns the presses. */
async function tabTo(page: Page, selector: string, max = 40): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i
  }
  throw new Error(`${selector} was not reached with ${max} presses of Tab`)
}

/** Whether the focus is on an element matching `selector` (it must survive the page's re-renders). */
const focused = (page: Page, selector: string): Promise<boolean> =>
  page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)

t.test('the agent page with the keyboard only: log in, pause, choose a device, end wrap-up', async (t) => {
  const w = await startWorld()
  t.teardown(() => stopWorld(w))
  const page = await newPage(w, PHONE)
  const kb = page.keyboard
  await page.goto('/')
  await page.locator('#username:focus').waitFor() // the login form has the focus at once
  await kb.type(USERS.agent.username)
  await kb.press('Tab')
  await kb.type(USERS.agent.password)
  await kb.press('Enter')
  await page.waitForURL('**/agent')
  await page.locator(`.queue-card[data-queue="${w.queueId}"]`).waitFor()
  const status = (): ReturnType<Daemon['status']>['agents'][number] | undefined =>
    w.daemon.status().agents.find((a) => a.agentId === w.agentId)

  // log in to the queue: Tab to its switch, Space toggles it
  t.ok((await tabTo(page, `#q-${w.queueId}`)) > 0, 'the queue switch is reachable with Tab')
  await kb.press('Space')
  await page.locator('#agent-state[data-state=free]').waitFor()
  t.same(status()?.queues, [w.queueId], 'logged in to the queue with the keyboard')
  await page.waitForFunction((id) => document.activeElement?.id === id, `q-${w.queueId}`)
  t.ok(await focused(page, `#q-${w.queueId}`), 'the focus stays on the switch after the page re-rendered')

  // pause with a reason: Shift+Tab back to the reason, choose with the arrow keys, Tab to Pause, Enter
  await tabTo(page, '#pause-reason')
  await kb.press('ArrowDown') // Lunch → Möte
  await kb.press('Tab')
  t.ok(await focused(page, '#pause'), 'Tab goes from the reason to the pause button')
  await kb.press('Enter')
  await page.locator('#agent-state[data-state=paused]').waitFor()
  t.equal(status()?.pauseReason, 'Möte', 'paused with the reason chosen by keyboard')
  await page.waitForFunction(() => document.activeElement?.id === 'resume')
  t.pass('the focus moves to the resume button that replaced the pause button')
  await kb.press('Enter')
  await page.locator('#agent-state[data-state=free]').waitFor()
  t.equal(status()?.paused, false, 'resumed with Enter')

  // choose the mobile: Tab to the device radios, arrow keys move the choice
  await tabTo(page, 'input[name=device]')
  await kb.press('ArrowDown')
  await page.waitForFunction(() => document.querySelector('input[name=device][value="1"]')?.checked === true)
  await page.waitForFunction(() => document.activeElement?.matches('input[name=device]') === true)
  t.equal((await w.daemon.store.agents.get(w.agentId)).activeDevice, 1, 'the mobile chosen with an arrow key')
  await kb.press('ArrowUp')
  await page.waitForFunction(() => document.querySelector('input[name=device][value="0"]')?.checked === true)
  t.equal((await w.daemon.store.agents.get(w.agentId)).activeDevice, 0, 'and back to the softphone')

  // a call is answered and ends: wrap-up, ended with the keyboard
  const call = w.sim.placeCall({ to: '5010', from: '0701112233' })
  await call.waitForState('bridged', 10_000)
  call.hangup()
  await page.locator('#agent-state[data-state=wrap-up]').waitFor()
  await page.locator('#end-wrapup').waitFor()
  await tabTo(page, '#end-wrapup')
  await kb.press('Enter')
  await page.locator('#agent-state[data-state=free]').waitFor()
  t.equal(status()?.state, 'free', 'wrap-up ended with the keyboard')

  // and out of the queue again
  await tabTo(page, `#q-${w.queueId}`)
  await kb.press('Space')
  await page.locator('#agent-state[data-state=logged-out]').waitFor()
  t.same(status()?.queues ?? [], [], 'logged out with the keyboard')
  t.same(await violations(page), [], 'and the page still has no WCAG 2.1 A/AA violation')
})
