/**
 * The admin page says which daemon of an active/standby pair leads and the API it advertises (issue 12;
 * web/src/admin-daemon.ts), in headless Debian Chromium against the API test world with the web pages mounted; the
 * world's `live.leadership` stands for the daemon's Leadership (GET /api/v1/status `leadership`).
 */
import t from 'tap'

import { chromium } from 'playwright-core'
import { mountWeb } from '../../src/api/static.js'
import type { LeadershipView } from '../../src/api/engine-view.js'
import { PASSWORD, world } from '../api/fixture.js'
import { browserEnv } from '../helpers/faketime.js'
import { requireChromium } from '../helpers/chromium.js'

const CHROMIUM = requireChromium()

t.test('the admin footer names the leader and its advertised API; hidden for a single daemon', async (t) => {
  const w = await world()
  mountWeb(w.api.server)
  let view: LeadershipView | undefined = {
    role: 'standby',
    nodeId: 'b',
    leader: { nodeId: 'a', api: 'http://10.0.0.5:8080' },
  }
  w.live.leadership = () => view!
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--lang=sv-SE'],
    env: { ...browserEnv(), TZ: 'Europe/Stockholm' },
  })
  t.teardown(async () => {
    await browser.close()
    await w.close()
  })
  const ctx = await browser.newContext({ baseURL: w.url, locale: 'sv-SE', timezoneId: 'Europe/Stockholm' })
  ctx.setDefaultTimeout(10_000)
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto('/')
  await page.getByLabel('Användarnamn').fill('admin-a')
  await page.getByLabel('Lösenord').fill(PASSWORD)
  await page.getByRole('button', { name: 'Logga in' }).click()
  await page.waitForURL(/\/admin/)
  const line = page.locator('#daemon-line')
  await line.getByText('Ledare: a').waitFor()
  t.equal(
    await line.textContent(),
    'Ledare: a, API http://10.0.0.5:8080 — denna server (b) är reserv',
    'on a standby: the leader and the API it advertises, in Swedish',
  )
  await page.getByRole('button', { name: 'EN – English' }).click()
  t.equal(
    await line.textContent(),
    'Leader: a, API http://10.0.0.5:8080 — this server (b) is standby',
    'switched to English at once',
  )

  view = { role: 'leader', nodeId: 'a', leader: { nodeId: 'a', api: 'http://10.0.0.5:8080' } }
  await page.reload()
  await line.getByText('Leader: this server').waitFor()
  t.equal(await line.textContent(), 'Leader: this server (a), API http://10.0.0.5:8080', 'on the leader')

  view = { role: 'standby', nodeId: 'b' }
  await page.reload()
  await line.getByText('No leader known').waitFor()
  t.equal(await line.textContent(), 'No leader known — this server (b) is standby', 'no leader known yet')

  view = undefined
  delete w.live.leadership
  await page.reload()
  await page.locator('#daemon-line[data-read=true]').waitFor({ state: 'attached' })
  t.ok(await line.isHidden(), 'a single daemon (no leadership): no line')
  t.equal(await line.textContent(), '')
  t.same(errors, [], 'no page errors')
})
