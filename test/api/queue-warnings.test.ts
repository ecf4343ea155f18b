/**
 * Issue 15: creating or renumbering a queue tells the operator at once when the number is caught by another
 * extension (a stock extension of FreeSWITCH's vanilla dialplan/default.xml, src/doctor/vanilla-dialplan.ts) or not
 * matched by the shipped koplus.xml — as a `warnings` array (API), `warning:` lines (CLI) — without blocking it.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { call, world } from './fixture.js'
import { queueNumberWarnings, stockExtensionsCatching } from '../../src/doctor/vanilla-dialplan.js'
import { clockEnv } from '../helpers/faketime.js'

t.test('the helper: vanilla overlaps and numbers outside the shipped expression', async (t) => {
  t.same(
    stockExtensionsCatching('5000').map((e) => e.name),
    ['ivr_demo'],
  )
  t.same(
    stockExtensionsCatching('1005').map((e) => e.name),
    ['Local_Extension'],
  )
  t.same(
    stockExtensionsCatching('6042').map((e) => e.name),
    ['valet_park'],
  )
  t.same(
    stockExtensionsCatching('3012').map((e) => e.name),
    ['nb_conferences'],
  )
  t.same(
    stockExtensionsCatching('5900').map((e) => e.name),
    ['park'],
  )
  t.same(stockExtensionsCatching('5500'), [], 'a number no stock extension takes')
  t.same(stockExtensionsCatching('*71'), [], 'the feature codes are free on vanilla')
  t.same(
    stockExtensionsCatching('1010', 'public').map((e) => e.name),
    ['public_extensions'],
  )
  t.same(queueNumberWarnings('5500'), [])
  const w5000 = queueNumberWarnings('5000')
  t.equal(w5000.length, 1)
  t.match(w5000[0], /5000 is also the stock extension 'ivr_demo' \(\^5000\$\).*runs answer, sleep, ivr/)
  const w7777 = queueNumberWarnings('7777')
  t.match(w7777[0], /not matched by the queue expression/)
})

t.test('API: create and renumber answer with warnings and still make the change', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const admin = { token: w.tokens.adminA }
  const created = await call(w.url, 'POST', '/api/v1/queues', { ...admin, body: { number: '5900', name: 'Parked' } })
  t.equal(created.status, 201, 'not blocked')
  t.match(created.body.warnings, [/stock extension 'park'/])
  t.ok(await w.store.queues.getByNumber('ta', '5900'), 'the queue exists')

  const clean = await call(w.url, 'POST', '/api/v1/queues', { ...admin, body: { number: '5500', name: 'Clean' } })
  t.same(clean.body.warnings, [])

  const renumbered = await call(w.url, 'PATCH', `/api/v1/queues/${clean.body.id}`, {
    ...admin,
    body: { number: '5000' },
  })
  t.equal(renumbered.status, 409, 'the fixture already has 5000 in tenant ta')
  const moved = await call(w.url, 'PATCH', `/api/v1/queues/${clean.body.id}`, { ...admin, body: { number: '1010' } })
  t.equal(moved.status, 200)
  t.equal(moved.body.number, '1010')
  t.match(moved.body.warnings, [/stock extension 'Local_Extension'/, /not matched by the queue expression/])
  const settingsOnly = await call(w.url, 'PATCH', `/api/v1/queues/${clean.body.id}`, {
    ...admin,
    body: { settings: { wrapUpSec: 20 } },
  })
  t.same(settingsOnly.body.warnings, [], 'no renumbering, no warning')
})

const BIN = resolve('bin/koplus.js')
t.test(
  'CLI: queue add and set print the warnings on stderr',
  { skip: !existsSync(resolve('dist/src/cli/main.js')) && !process.env.CI && 'no build (npm run build)' },
  async (t) => {
    const w = await world()
    t.teardown(() => w.close())
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((r) =>
        execFile(
          process.execPath,
          [BIN, '--api', w.url, '--token', w.tokens.adminA, ...args],
          { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...clockEnv() } },
          (err, stdout, stderr) => r({ code: err ? Number((err as { code?: unknown }).code) || 1 : 0, stdout, stderr }),
        ),
      )
    const add = await run('queue', 'add', '6000', 'Valet')
    t.equal(add.code, 0, add.stderr)
    t.match(add.stdout, /queue 6000 "Valet" added/)
    t.match(add.stderr, /^warning: 6000 is also the stock extension 'valet_park'/m)
    const set = await run('queue', 'set', '6000', 'number=5501')
    t.equal(set.code, 0, set.stderr)
    t.equal(set.stderr, '', 'a clean number: no warning')
  },
)

t.test(
  'API with a switch: the test call through the real dialplan (the doctor check) names what caught the number',
  async (t) => {
    const { FreeSwitchSimulator } = await import('../../src/simulator/index.js')
    const { checkQueueRouting } = await import('../../src/doctor/index.js')
    // the old layout on a vanilla switch: ivr_demo takes 5000 before koplus's extensions
    const sim = new FreeSwitchSimulator({
      password: 'pw-1',
      dialplan: { vanilla: 'end', globals: { default_password: 'changed' } },
    })
    const port = await sim.listen(0)
    t.teardown(() => sim.close())
    const w = await world()
    t.teardown(() => w.close())
    w.live.routeCheck = (number) =>
      checkQueueRouting({ host: '127.0.0.1', port, password: 'pw-1', number, timeoutMs: 2000, settleMs: 300 })
    const admin = { token: w.tokens.adminB }
    const caught = await call(w.url, 'POST', '/api/v1/queues', { ...admin, body: { number: '5000', name: 'Demo' } })
    t.equal(caught.status, 201, 'created anyway')
    t.match(caught.body.warnings, [
      /stock extension 'ivr_demo'/,
      /^queue 5000 in context 'default': caught before koplus, the call ran answer, sleep/,
    ])
    const fine = await call(w.url, 'POST', '/api/v1/queues', { ...admin, body: { number: '5500', name: 'Fine' } })
    t.same(fine.body.warnings, [], 'reaches koplus: no warning')
    const renumbered = await call(w.url, 'PATCH', `/api/v1/queues/${fine.body.id}`, {
      ...admin,
      body: { number: '7777' },
    })
    t.equal(renumbered.status, 200)
    t.match(renumbered.body.warnings, [
      /not matched by the queue expression/,
      /^queue 7777 in context 'default': hung up \(\w+\) before reaching park: nothing in context 'default' sends 7777 to koplus/,
    ])
    await sim.waitFor(() => sim.channels().every((c) => c.hungUp), 2000, 'the test calls were hung up')

    // no switch reachable: said so, still created
    await sim.close()
    const down = await call(w.url, 'POST', '/api/v1/queues', { ...admin, body: { number: '5600', name: 'Later' } })
    t.equal(down.status, 201)
    t.match(down.body.warnings, [/the routing of 5600 was not tested: cannot reach FreeSWITCH/])
  },
)
