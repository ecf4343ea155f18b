/**
 * Browser test (headless Debian Chromium via playwright-core, never a downloaded browser) of issue 10's web items:
 * the wallboard fits at 375 px, 700 px and 1280×900 with three queues; a logged-out page shows nothing before it
 * redirects to the login; the login error is in the page's language only; the opening-hours "now" line and the
 * closures list use the queue's zone, not the browser's. Against the in-process API (test/api/fixture.ts) with the
 * web pages mounted. Screenshots in /tmp/koplus-shots/ (not in the repository).
 */
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { mountWeb } from '../../src/api/static.js'
import { LoginRateLimiter } from '../../src/api/auth.js'
import { PASSWORD, world, type World } from '../api/fixture.js'
import { browserEnv } from '../helpers/faketime.js'
import { requireChromium } from '../helpers/chromium.js'

// The page.evaluate callbacks run in the browser; the test project has no DOM lib, so name what they use here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any
declare const getComputedStyle: (el: any) => { visibility: string; overflow: string }
declare const innerWidth: number
type HTMLElement = any

const CHROMIUM = requireChromium()
const SHOTS = '/tmp/koplus-shots'

let w: World
let browser: Browser
t.before(async () => {
  w = await world({ limiter: new LoginRateLimiter({ freeFailures: 1000, perClientMax: 1000 }) })
  mountWeb(w.api.server)
  // a busy call centre on the wallboard: long names, two-digit figures, waits over ten minutes, a caller list
  const base = w.live.status.bind(w.live)
  w.live.status = () => {
    const s = base() as unknown as { queues: Record<string, unknown>[] }
    return {
      ...s,
      queues: s.queues.map((q, i) => ({
        ...q,
        strategy: 'longest-idle',
        waiting: 12 - i * 5,
        longestWaitSec: 754 - i * 300,
        connected: 9,
        overflowing: i === 1,
        agents: { loggedIn: 14, free: 2, ringing: 1, onCall: 9, wrapUp: 2, paused: 1 },
        callers: Array.from({ length: 12 - i * 5 }, (_, k) => ({
          callId: `c${i}-${k}`,
          position: k + 1,
          callerNumber: `07012345${String(k).padStart(2, '0')}`,
          waitedSec: 754 - k * 60,
          ringing: k === 0 ? ['1001'] : [],
        })),
      })),
    }
  }
  await w.store.queues.create({ id: 'qa3', tenantId: 'ta', number: '5002', name: 'Returns and exchanges', tags: [] })
  await w.live.refresh() // the recording live status reports the queues as of its last read
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: browserEnv(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
})
t.teardown(async () => {
  await browser?.close()
  await w?.close()
})

async function page(opts: {
  width: number
  height: number
  timezoneId?: string
  locale?: string
}): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const ctx = await browser.newContext({
    baseURL: w.url,
    viewport: { width: opts.width, height: opts.height },
    locale: opts.locale ?? 'sv-SE',
    timezoneId: opts.timezoneId ?? 'UTC',
  })
  ctx.setDefaultTimeout(10_000)
  // the page's clock is the test's (the assertions compute "now" here), whatever clock the browser process has
  await ctx.clock.setFixedTime(Date.now())
  const p = await ctx.newPage()
  const errors: string[] = []
  p.on('pageerror', (e) => errors.push(e.message))
  return { page: p, errors, close: () => ctx.close() }
}

async function login(p: Page, username = 'admin-a'): Promise<void> {
  await p.goto('/')
  await p.getByLabel('Användarnamn').fill(username)
  await p.getByLabel('Lösenord').fill(PASSWORD)
  await p.getByRole('button', { name: 'Logga in' }).click()
  await p.waitForURL(/\/admin/)
}

async function shot(p: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await p.screenshot({ path, fullPage: true })
  return path
}

/** Minutes after midnight and Monday-based weekday of now in a zone. */
function wall(zone: string, at = Date.now()): { minutes: number; weekday: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  )
  return {
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday),
  }
}

t.test('the wallboard fits at 375 px, 700 px and 1280×900 with three queues', async (t) => {
  for (const [width, height] of [
    [375, 812],
    [700, 900],
    [1280, 900],
  ] as const) {
    const { page: p, errors, close } = await page({ width, height })
    await login(p)
    await p.goto('/wallboard')
    await p.locator('.wb-queue').nth(2).waitFor()
    t.equal(await p.locator('.wb-queue').count(), 3, `${width}px: three queues`)
    const m = await p.evaluate(() => {
      const overflowing = [...document.querySelectorAll('.wb-queue, .wb-queue *')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflow !== 'hidden')
        .map((el) => `${el.className}: ${el.textContent}`)
      const cards = [...document.querySelectorAll('.wb-queue')].map((el) => el.getBoundingClientRect())
      return {
        docWidth: document.documentElement.scrollWidth,
        innerWidth,
        overflowing,
        tops: cards.map((r) => Math.round(r.top)),
        bottoms: cards.map((r) => Math.round(r.bottom)),
        rights: cards.map((r) => Math.round(r.right)),
      }
    })
    t.ok(m.docWidth <= m.innerWidth, `${width}px: no sideways scrolling (page ${m.docWidth} px wide)`)
    t.same(m.overflowing, [], `${width}px: no figure or label overflows its box`)
    t.ok(Math.max(...m.rights) <= width, `${width}px: every card inside the viewport`)
    if (width === 1280) {
      t.equal(new Set(m.tops).size, 1, 'three queues side by side at 1280 px')
      t.ok(
        Math.max(...m.bottoms) <= height,
        `they fit in 900 px without scrolling (bottom ${Math.max(...m.bottoms)} px)`,
      )
    }
    if (width === 375) t.equal(new Set(m.tops).size, 3, 'one column on a phone')
    if (width === 1280) {
      // the browser runs in UTC; the queues' zone is Europe/Stockholm (none has a schedule: the default)
      const clock = (await p.locator('#clock').textContent())!.slice(0, 5)
      const sto = (at: number): string =>
        new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', hour: '2-digit', minute: '2-digit' }).format(
          at,
        )
      t.ok(
        [sto(Date.now()), sto(Date.now() - 60_000)].includes(clock),
        `the clock shows Stockholm time (${clock}), not the browser's UTC`,
      )
      t.equal(await p.locator('#clock').getAttribute('title'), 'Europe/Stockholm', 'and names the zone')
    }
    t.comment(`screenshot: ${await shot(p, `wallboard-${width}x${height}`)}`)
    t.same(errors, [], 'no page errors')
    await close()
  }
})

t.test('a logged-out page shows nothing before it goes to the login', async (t) => {
  for (const path of ['/admin', '/wallboard', '/agent']) {
    const { page: p, close } = await page({ width: 1000, height: 700 })
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    // hold the "who am I" answer so the page is looked at while it does not yet know
    await p.route('**/api/v1/auth/me', async (route) => {
      await held
      await route.continue()
    })
    await p.goto(path, { waitUntil: 'load' })
    const shown = await p.evaluate(() => ({
      visibility: getComputedStyle(document.body).visibility,
      text: document.body.innerText.trim(),
    }))
    t.equal(shown.visibility, 'hidden', `${path}: the page shell is hidden while the account is unknown`)
    t.equal(shown.text, '', `${path}: no text to read either`)
    release()
    await p.waitForURL((u) => u.pathname === '/' && u.searchParams.get('next') === path)
    t.pass(`${path}: then on to the login with ?next=`)
    await close()
  }
  const { page: p, close } = await page({ width: 1000, height: 700 })
  await login(p)
  // the shell is revealed once the page has asked who is logged in (an answer that may come after login() returns)
  const shown = await p
    .waitForFunction(() => getComputedStyle(document.body).visibility === 'visible', undefined, { timeout: 5000 })
    .then(
      () => true,
      () => false,
    )
  t.ok(shown, 'logged in: the admin page is shown')
  await close()
})

t.test("the login error speaks the page's language only", async (t) => {
  const { page: p, close } = await page({ width: 1000, height: 700 })
  await p.goto('/')
  await p.getByLabel('Användarnamn').fill('admin-a')
  await p.getByLabel('Lösenord').fill('not the password')
  await p.getByRole('button', { name: 'Logga in' }).click()
  const error = p.locator('#login-error')
  await error.waitFor({ state: 'visible' })
  t.equal(await error.textContent(), 'Fel användarnamn eller lösenord.')
  await p
    .getByRole('button', { name: /^(EN|English)/ })
    .first()
    .click()
    .catch(() => p.locator('#lang-switch button, #lang-switch a').last().click())
  await p.getByLabel('Password').fill('still not the password')
  await p.getByRole('button', { name: 'Log in' }).click()
  await p.waitForFunction(() => document.querySelector('#login-error')?.textContent === 'Wrong username or password.')
  t.pass('in English after switching to English')
  await close()
})

t.test("hours and closures are in the queue's zone, not the browser's", async (t) => {
  await w.store.queues.update('qa', {
    schedule: {
      timeZone: 'Europe/Stockholm',
      calendarIds: [],
      rules: [
        { id: 'wd', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '08:00', durationMinutes: 540 },
      ],
    },
  })
  await w.store.queues.update('qa2', {
    schedule: { timeZone: 'America/New_York', calendarIds: [], rules: [], alwaysOpen: true },
  })
  for (const browserZone of ['UTC', 'Asia/Kolkata']) {
    const { page: p, errors, close } = await page({ width: 1280, height: 900, timezoneId: browserZone })
    await login(p)
    for (const [queueId, zone] of [
      ['qa', 'Europe/Stockholm'],
      ['qa2', 'America/New_York'],
    ] as const) {
      await p.goto(`/admin#hours/${queueId}`)
      await p.waitForFunction((z) => document.querySelector('#hours-zone')?.textContent?.startsWith(z), zone) // this queue's page is drawn
      const now = p.locator('.week .now')
      await now.waitFor({ state: 'attached' })
      const want = wall(zone)
      const at = await now.evaluate((el) => ({
        top: parseFloat((el as HTMLElement).style.top),
        day: [...el.parentElement!.parentElement!.querySelectorAll('.col')].indexOf(el.parentElement),
      }))
      t.ok(
        Math.abs(at.top - (want.minutes / 60) * 14) <= 14 / 30,
        `browser in ${browserZone}: the "now" line of a ${zone} queue is at ${zone}'s hour (${at.top} px, want ${((want.minutes / 60) * 14).toFixed(1)})`,
      )
      t.equal(at.day, want.weekday, `browser in ${browserZone}: on ${zone}'s weekday`)
      t.match(
        await p.locator('#hours-zone').textContent(),
        new RegExp(`^${zone.replace('/', '\\/')} \\([+-]\\d\\d:\\d\\d\\)$`),
        'the zone and its offset are named',
      )
    }
    t.same(errors, [], 'no page errors')
    await close()
  }
  const c = await w.store.closures.create({
    tenantId: 'ta',
    scope: { kind: 'queues', queueIds: ['qa2'] },
    reason: 'Storm',
    by: 'op',
    from: w.now.t - 60_000,
    until: Date.UTC(new Date(w.now.t).getUTCFullYear() + 1, 0, 15, 17, 0),
  }) // a January 17:00 UTC ahead: 12:00 in New York
  const { page: p, close } = await page({ width: 1280, height: 900, timezoneId: 'Asia/Kolkata' })
  await login(p)
  await p.goto('/admin#closures')
  const row = p.locator(`tr[data-closure="${c.id}"]`)
  await row.waitFor()
  t.match(
    await row.textContent(),
    /12:00 -05:00/,
    "the end in the queue's zone (New York) with its offset, not Kolkata's 22:30",
  )
  await close()
  await w.store.closures.reopen(c.id, 'op', c.from)
})
