/**
 * Browser test of the web pages (issue 6 Proof) in headless Debian Chromium (/usr/bin/chromium, never a
 * downloaded browser) driven by playwright-core, against the real daemon (startDaemon) connected to the
 * in-process FreeSWITCH simulator, with a temporary SQLite file:
 *
 *   an administrator logs in, creates a queue, sets its opening hours and grants an agent (with an agent-page
 *   login); the agent logs in to the queue on the agent page; a simulated caller appears on the wallboard within
 *   a second and disappears when the agent answers. Along the way: a prompt upload (good and bad file), a
 *   closure of queues by tag and its reopening, the statistics charts, and a screenshot of every page in
 *   /tmp/koplus-shots/ (not in the repository).
 */
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import pino from 'pino'
import { startDaemon, type Daemon } from '../../src/daemon/index.js'
import { defaultConfig } from '../../src/config/index.js'
import { FreeSwitchSimulator, makeWav } from '../../src/simulator/index.js'
import { startDaemonApi, type DaemonApi } from '../../src/api/daemon-api.js'
import { browserEnv } from '../helpers/faketime.js'
import { requireChromium } from '../helpers/chromium.js'

const CHROMIUM = requireChromium()
const SHOTS = '/tmp/koplus-shots'
const ADMIN = { username: 'admin', password: 'admin-password-1' }
const AGENT = { username: 'anna', password: 'anna-password-1' }
/** The agent's softphone answers this long after it starts ringing. */
const ANSWER_MS = 2500

/** Local wall-clock time in Stockholm (the schedule's zone) as minutes after midnight. */
function stockholmMinutes(at = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Stockholm',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const hh = Number(parts.find((p) => p.type === 'hour')!.value)
  const mm = Number(parts.find((p) => p.type === 'minute')!.value)
  return hh * 60 + mm
}
const hhmm = (min: number): string =>
  `${String(Math.floor((((min % 1440) + 1440) % 1440) / 60)).padStart(2, '0')}:${String(((min % 60) + 60) % 60).padStart(2, '0')}`

interface World {
  dir: string
  sim: FreeSwitchSimulator
  daemon: Daemon
  api: DaemonApi
  browser: Browser
}

async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-web-'))
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  // the agent's softphone: registered, answers ANSWER_MS after it rings
  sim.endpoint('1001', { registered: true, answerAfterMs: ANSWER_MS })
  const eslPort = await sim.listen(0)
  const config = defaultConfig()
  config.database.path = join(dir, 'koplus.db')
  config.api.port = 0
  config.recordings.dir = join(dir, 'prompts')
  config.freeswitch.port = eslPort
  const logger = pino({ level: 'silent' })
  const daemon = await startDaemon(config, { logger })
  await daemon.whenRebuilt()
  // the daemon's own API wiring: web pages mounted, and the live stream (SSE) fed by the daemon after every event
  const api = await startDaemonApi(daemon, config, logger)
  await daemon.store.accounts.create({
    username: ADMIN.username,
    password: ADMIN.password,
    role: 'tenant-admin',
    tenantId: 'default',
  })
  // launch() gives every run a fresh temporary user-data-dir (deleted on close)
  const browser = await chromium
    .launch({
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
    .catch(async (err: unknown) => {
      await api.close()
      await daemon.stop()
      await sim.close()
      throw err
    })
  return { dir, sim, daemon, api, browser }
}

async function stopWorld(w: World): Promise<void> {
  await w.browser.close()
  await w.api.close()
  await w.daemon.stop()
  await w.sim.close()
  rmSync(w.dir, { recursive: true, force: true })
}

async function newPage(
  w: World,
  viewport = { width: 1360, height: 900 },
): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await w.browser.newContext({
    baseURL: w.api.url,
    viewport,
    locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm',
  })
  // the pages' clock runs from the test's (and the daemon's) clock, whatever clock the browser process has
  await ctx.clock.install({ time: Date.now() })
  ctx.setDefaultTimeout(10_000)
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of (400|401|409|500)/.test(m.text()))
      errors.push(m.text())
  })
  return { ctx, page, errors }
}

async function login(page: Page, who: { username: string; password: string }): Promise<void> {
  await page.goto('/')
  await page.getByLabel('Användarnamn').fill(who.username)
  await page.getByLabel('Lösenord').fill(who.password)
  await page.getByRole('button', { name: 'Logga in' }).click()
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

t.test('admin, agent page and wallboard against the daemon and the simulator', async (t) => {
  const w = await startWorld()
  t.teardown(() => stopWorld(w))

  // ── the administrator ──
  const admin = await newPage(w)
  const { page } = admin
  await page.goto('/')
  await shot(page, '01-login')
  await page.getByLabel('Användarnamn').fill(ADMIN.username)
  await page.getByLabel('Lösenord').fill('wrong-password')
  await page.getByRole('button', { name: 'Logga in' }).click()
  await page.locator('#login-error').waitFor()
  t.equal(
    await page.locator('#login-error').textContent(),
    'Fel användarnamn eller lösenord.',
    "a failed login says why, in the page's language only",
  )
  await login(page, ADMIN)
  await page.waitForURL('**/admin')
  t.pass('a tenant administrator lands on /admin')

  // creates a queue
  await page.locator('#new-queue').click()
  const qf = page.locator('#queue-form')
  await qf.getByLabel('Namn', { exact: true }).fill('Support')
  await qf.getByLabel('Nummer', { exact: true }).fill('5010')
  await qf.getByLabel('Taggar').fill('support, sthlm')
  await qf.getByLabel('Ringtid (s)').fill('0') // below the API's minimum of 1
  await qf.getByRole('button', { name: 'Skapa' }).click()
  await qf.locator('.notice.error').waitFor()
  t.match(await qf.locator('.notice.error').textContent(), /ringTimeSec/, 'a validation error names the field')
  t.equal(await qf.getByLabel('Ringtid (s)').getAttribute('aria-invalid'), 'true', 'and marks it')
  await qf.getByLabel('Ringtid (s)').fill('20')
  await qf.getByLabel('Efterarbete (s)').fill('5')
  // no welcome message: the caller enters the queue at once (with one, they enter after hearing it)
  await qf.getByLabel('Spela välkomstmeddelande innan kön').uncheck()
  await qf.getByLabel('När kön är stängd', { exact: true }).selectOption('forward')
  await qf.getByLabel('När kön är stängd: Nummer att koppla till').fill('0812345678')
  await qf.getByRole('button', { name: 'Skapa' }).click()
  const row = page.locator('#queue-table tr', { hasText: 'Support' })
  await row.waitFor()
  const queue = (await w.daemon.store.queues.list('default')).find((q) => q.number === '5010')
  t.ok(queue, 'the queue is in the store')
  t.same(queue!.settings.closedAction, { type: 'forward', destination: '0812345678' }, 'with the closed action chosen')
  t.same(queue!.tags, ['support', 'sthlm'])
  t.equal(queue!.settings.welcomePrompt, '', 'without a welcome message')
  // a second queue, so the closure of many queues has something to close
  await page.locator('#new-queue').click()
  await qf.getByLabel('Namn', { exact: true }).fill('Försäljning')
  await qf.getByLabel('Nummer', { exact: true }).fill('5900') // the vanilla dialplan's 'park' extension (issue 15)
  await qf.getByLabel('Taggar').fill('sales')
  await qf.getByLabel('Fördelning').selectOption('ring-parallel')
  await qf.getByRole('button', { name: 'Skapa' }).click()
  await page.locator('#queue-table tr', { hasText: 'Försäljning' }).waitFor()
  const warning = page.locator('.toast.error', { hasText: "stock extension 'park'" })
  await warning.waitFor()
  t.match(
    await warning.textContent(),
    /5900 is also the stock extension 'park'/,
    'the admin is told at once that another extension catches the number',
  )
  await shot(page, '02-admin-queues')
  await row.getByRole('button', { name: 'Ändra' }).click()
  t.equal(await qf.getByLabel('Ringtid (s)').inputValue(), '20', 'the edit form shows the saved settings')
  await shot(page, '02b-admin-queue-form')
  await qf.getByRole('button', { name: 'Avbryt' }).click()

  // sets its opening hours: office hours on weekdays, and a band around now every day (so the queue is open)
  await row.getByRole('link', { name: 'Öppettider' }).click()
  await page.waitForURL(`**/admin#hours/${queue!.id}`)
  const rf = page.locator('#rule-form')
  await rf.waitFor()
  await rf.getByLabel('Från').fill('08:00')
  await rf.getByLabel('Till').fill('17:00')
  await rf.getByLabel('Namn').fill('Kontorstid')
  await rf.getByRole('button', { name: 'Lägg till' }).click()
  await page.locator('#rule-table tr', { hasText: 'Kontorstid' }).waitFor()
  const now = stockholmMinutes()
  const from = Math.floor((now - 60) / 60) * 60
  for (const day of ['Lör', 'Sön']) await rf.getByLabel(day).check()
  await rf.getByLabel('Från').fill(hhmm(from))
  await rf.getByLabel('Till').fill(hhmm(from + 180))
  await rf.getByLabel('Namn').fill('Kvällsjour')
  await rf.getByRole('button', { name: 'Lägg till' }).click()
  await page.locator('#rule-table tr', { hasText: 'Kvällsjour' }).waitFor()
  const schedule = (await w.daemon.store.queues.get(queue!.id)).schedule!
  t.equal(schedule.rules.length, 2, 'two opening rules saved')
  t.same(
    schedule.rules.map((r) => r.rrule),
    ['FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU'],
  )
  t.equal(schedule.rules[0].durationMinutes, 9 * 60)
  await page.locator('#open-now', { hasText: 'Öppen nu' }).waitFor()
  t.ok((await page.locator('.week .col .block').count()) >= 12, 'the week grid shows a block per day and rule')
  t.ok((await page.locator('#transitions li').count()) > 0, 'the next transitions are listed')
  await shot(page, '03-admin-hours')

  // grants an agent (with devices, a skill and an agent-page login)
  await page.locator('a[data-section=agents]').click()
  await page.locator('#new-agent').click()
  const af = page.locator('#agent-form')
  await af.getByLabel('Namn', { exact: true }).fill('Anna Berg')
  await af.getByLabel('Anknytning').fill('1001')
  await af.getByLabel('SIP-användare').fill('1001')
  await af.getByLabel('Enheter 1: Nummer').fill('1001')
  await af.getByLabel('Enheter 2: Nummer').fill('0701234567')
  await af.getByLabel('Kompetenser').fill('support=7, english=4')
  await af.getByLabel('Support (5010)').check()
  await af.getByLabel('Användarnamn').fill(AGENT.username)
  await af.getByLabel('Lösenord').fill(AGENT.password)
  await shot(page, '05b-admin-agent-form')
  await af.getByRole('button', { name: 'Skapa' }).click()
  await page.locator('#agent-table tr', { hasText: 'Anna Berg' }).waitFor()
  await shot(page, '05c-admin-agents')
  const agent = (await w.daemon.store.agents.list('default')).find((a) => a.extension === '1001')!
  t.ok(agent, 'the agent is in the store')
  t.same(agent.devices, [
    { type: 'softphone', target: '1001' },
    { type: 'mobile', target: '0701234567' },
  ])
  t.same(agent.skills, { support: 7, english: 4 })
  t.ok(await w.daemon.store.memberships.has(agent.id, queue!.id), 'the agent is granted the queue')
  t.equal((await w.daemon.store.accounts.getByUsername(AGENT.username))?.agentId, agent.id, 'with a login of their own')

  // ── the agent, on a phone-sized screen ──
  const ag = await newPage(w, { width: 390, height: 844 })
  await login(ag.page, AGENT)
  await ag.page.waitForURL('**/agent')
  const card = ag.page.locator(`.queue-card[data-queue="${queue!.id}"]`)
  await card.waitFor()
  t.equal(await ag.page.locator('#agent-state').getAttribute('data-state'), 'logged-out')
  await card.locator('label.switch').click() // the visible toggle of the queue's switch
  await ag.page.locator('#agent-state[data-state=free]').waitFor()
  t.same(
    w.daemon.status().agents.find((a) => a.agentId === agent.id)?.queues,
    [queue!.id],
    'the engine has the agent logged in to the queue',
  )
  await card.locator('[data-testid=logged-in] .v', { hasText: '1' }).waitFor()
  await card.locator('[data-testid=free] .v', { hasText: '1' }).waitFor()
  // pause with a reason and resume
  await ag.page.getByLabel('Orsak till paus').selectOption('Lunch')
  await ag.page.locator('#pause').click()
  await ag.page.locator('#agent-state[data-state=paused]').waitFor()
  t.equal(w.daemon.status().agents.find((a) => a.agentId === agent.id)?.pauseReason, 'Lunch', 'paused with the reason')
  await ag.page.locator('#resume').click()
  await ag.page.locator('#agent-state[data-state=free]').waitFor()
  await shot(ag.page, '06-agent-phone')

  // ── the wallboard ──
  const wb = await newPage(w, { width: 1600, height: 900 })
  await login(wb.page, ADMIN)
  await wb.page.waitForURL('**/admin')
  await wb.page.goto('/wallboard')
  const board = wb.page.locator(`.wb-queue[data-queue="${queue!.id}"]`)
  await board.locator('[data-testid=logged-in] .v', { hasText: '1' }).waitFor()
  await board.locator('[data-testid=free] .v', { hasText: '1' }).waitFor()

  // a caller appears on the wallboard within a second …
  const placedAt = Date.now()
  const call = w.sim.placeCall({ to: '5010', from: '0701112233' })
  const caller = wb.page.locator(`.wb-queue[data-queue="${queue!.id}"] .wb-callers li`, { hasText: '0701112233' })
  await caller.waitFor({ timeout: 1000 })
  const appearedMs = Date.now() - placedAt
  t.ok(appearedMs < 1000, `the caller appeared on the wallboard after ${appearedMs} ms`)
  t.comment(`caller visible on the wallboard ${appearedMs} ms after the call was placed`)
  await shot(wb.page, '07-wallboard-waiting')
  // … and on the agent page the queue length goes up
  await ag.page
    .locator(`.queue-card[data-queue="${queue!.id}"] [data-testid=waiting] .v`, { hasText: '1' })
    .waitFor({ timeout: 1000 })
  // … and disappears when the agent answers
  await call.waitForState('bridged', ANSWER_MS + 3000)
  const bridgedAt = Date.now()
  await caller.waitFor({ state: 'detached', timeout: 1000 })
  t.ok(Date.now() - bridgedAt < 1000, 'the caller left the wallboard within a second of the answer')
  await board.locator('[data-testid=on-call] .v', { hasText: '1' }).waitFor({ timeout: 1000 })
  await ag.page.locator('#agent-state[data-state=on-call]').waitFor({ timeout: 2000 })
  await shot(ag.page, '06b-agent-on-call')

  // a second caller gives up while the agent is busy (abandoned), then the first call ends
  const call2 = w.sim.placeCall({ to: '5010', from: '0709998877' })
  await wb.page.locator('.wb-callers li', { hasText: '0709998877' }).waitFor({ timeout: 1000 })
  await new Promise((r) => setTimeout(r, 1200)) // let the longest wait tick on the board
  await shot(wb.page, '07b-wallboard-busy')
  call2.hangup()
  await wb.page.locator('.wb-callers li', { hasText: '0709998877' }).waitFor({ state: 'detached', timeout: 1000 })
  call.hangup()
  await board.locator('[data-testid=wrap-up] .v', { hasText: '1' }).waitFor({ timeout: 2000 })
  await board.locator('[data-testid=answered] .v', { hasText: '1' }).waitFor({ timeout: 5000 })
  await board.locator('[data-testid=abandoned] .v', { hasText: '1' }).waitFor({ timeout: 5000 })
  await shot(wb.page, '08-wallboard-after')

  // ── prompts: a good file is converted and playable, a bad one shows the API's error ──
  await page.locator('a[data-section=prompts]').click()
  const pf = page.locator('#prompt-form')
  await pf.waitFor()
  const bad = join(w.dir, 'not-audio.mp3')
  writeFileSync(bad, 'this is not audio at all')
  await pf.getByLabel('Ljudfil').setInputFiles(bad)
  await pf.getByRole('button', { name: 'Ladda upp' }).click()
  await pf.locator('.notice.error').waitFor()
  t.match(
    await pf.locator('.notice.error').textContent(),
    /not audio sox can read|sox is not installed/,
    'a bad file shows the API error',
  )
  t.equal((await w.daemon.store.prompts.list()).length, 0, 'and nothing was replaced')
  if (existsSync('/usr/bin/sox') || process.env.CI) {
    const good = join(w.dir, 'welcome.wav')
    writeFileSync(good, makeWav(600, 16000))
    await pf.getByLabel('Ljudfil').setInputFiles(good)
    await pf.getByLabel('Gäller').selectOption(queue!.id)
    await pf.getByRole('button', { name: 'Ladda upp' }).click()
    await page.locator('#prompt-table audio').waitFor()
    t.equal((await w.daemon.store.prompts.list()).length, 1, 'a good file is stored as a prompt')
    const src = await page.locator('#prompt-table audio').getAttribute('src')
    const audio = await page.evaluate(async (u) => {
      const r = await fetch(u!)
      return { type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength }
    }, src)
    t.equal(audio.type, 'audio/wav', 'the browser can fetch the converted WAV for <audio>')
    t.ok(audio.size > 44, 'with audio in it')
  } else t.comment('sox not installed: the good-file upload is not checked')
  await shot(page, '05-admin-prompts')

  // ── closure of many queues by tag, then reopen ──
  await page.locator('a[data-section=closures]').click()
  const cf = page.locator('#closure-form')
  await cf.waitFor()
  await cf.getByLabel('Support').check()
  await cf.getByLabel('Försäljning').check()
  await cf.getByLabel('Orsak').fill('Personalmöte')
  await cf.getByRole('radio', { name: 'Till en viss tid' }).check()
  await cf.getByRole('button', { name: 'Stäng köerna' }).click()
  const closureRow = page.locator('#closure-table tr', { hasText: 'Personalmöte' })
  await closureRow.waitFor()
  const closure = (await w.daemon.store.closures.list('default')).find((c) => c.reason === 'Personalmöte')!
  t.equal(closure.queueIds.length, 2, 'both queues closed at once')
  t.ok(closure.until && closure.until > Date.now(), 'until the chosen time')
  await wb.page.locator(`.wb-queue[data-queue="${queue!.id}"] .wb-pill.closed`).waitFor({ timeout: 5000 })
  t.pass('the wallboard shows the queue closed')
  await shot(wb.page, '08b-wallboard-closed')
  await shot(page, '04-admin-closures')
  await closureRow.getByRole('button', { name: 'Öppna igen' }).click()
  await closureRow.waitFor({ state: 'detached' })
  t.ok((await w.daemon.store.closures.find(closure.id))?.reopenedAt, 'reopened')

  // ── statistics ──
  await page.locator('a[data-section=stats]').click()
  await page.locator('[data-kpi=answered] .value').waitFor()
  t.equal(await page.locator('[data-kpi=answered] .value').textContent(), '1', 'one answered call today')
  t.equal(await page.locator('[data-kpi=abandoned] .value').textContent(), '1', 'one abandoned call')
  t.ok((await page.locator('svg.chart rect').count()) >= 2, 'the hourly bar chart has bars')
  t.ok(
    await page.locator('#callback-table tr', { hasText: '0709998877' }).count(),
    'the abandoned caller is listed to call back',
  )
  const csvHref = await page.locator('a[download]').first().getAttribute('href')
  const csv = await page.evaluate(async (u) => (await fetch(u!)).text(), csvHref)
  t.match(csv.split('\n')[0], /answered/, 'the CSV export link downloads CSV')
  await shot(page, '09-admin-stats')

  // English is available
  await page.locator('#lang-switch button', { hasText: 'EN' }).click()
  await page.locator('h1', { hasText: 'Statistics' }).waitFor()
  await page.locator('#lang-switch button', { hasText: 'SV' }).click()

  // the agent logs out of the queue
  await ag.page.locator(`.queue-card[data-queue="${queue!.id}"]`).locator('label.switch').click()
  await ag.page.locator('#agent-state[data-state=logged-out]').waitFor()
  t.same(w.daemon.status().agents.find((a) => a.agentId === agent.id)?.queues ?? [], [], 'logged out in the engine')

  // an agent cannot open the admin page: sent back to their own page
  await ag.page.goto('/admin')
  await ag.page.waitForURL('**/agent')
  t.pass('an agent opening /admin is sent to /agent')

  // the pages' pure helpers, run in the browser as the pages load them
  const units = await page.evaluate(async () => {
    /* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- the casts stop tsc resolving browser URLs */
    const i18n = await import('/js/i18n.js' as string)
    const week = await import('/js/week.js' as string)
    const charts = await import('/js/charts.js' as string)
    /* eslint-enable @typescript-eslint/no-unnecessary-type-assertion */
    return {
      missing: i18n.missingKeys() as string[],
      weekdays: week.ruleDays('FREQ=WEEKLY;BYDAY=MO,WE,SU') as number[],
      daily: week.ruleDays('FREQ=DAILY') as number[],
      monthly: week.ruleDays('FREQ=MONTHLY;BYMONTHDAY=1') as number[] | undefined,
      biweekly: week.ruleDays('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO') as number[] | undefined,
      described: week.describeRule(
        { id: 'r', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '08:00', durationMinutes: 540 },
        'sv',
      ) as string,
      overnight: week.describeRule(
        { id: 'r', kind: 'open', rrule: 'FREQ=DAILY', start: '22:00', durationMinutes: 480 },
        'en',
      ) as string,
      scale: charts.niceScale(7) as { top: number; step: number },
      intScale: charts.niceScale(1, 4, true) as { top: number; step: number },
    }
  })
  t.same(units.missing, [], 'every text exists in Swedish and English')
  t.same(units.weekdays, [0, 2, 6])
  t.same(units.daily, [0, 1, 2, 3, 4, 5, 6])
  t.equal(units.monthly, undefined, 'monthly rules are listed, not drawn in the week grid')
  t.equal(units.biweekly, undefined)
  t.equal(units.described, 'Mån–Fre 08:00–17:00')
  t.equal(units.overnight, 'Every day 22:00–06:00')
  t.same(units.scale, { top: 8, step: 2 })
  t.same(units.intScale, { top: 1, step: 1 }, 'count axes step by whole numbers')

  t.same([...admin.errors, ...ag.errors, ...wb.errors], [], 'no script errors in any page')
})
