/**
 * The koplus CLI, spawned as `node bin/koplus.js … --json` against an in-process API server (real Store, recording
 * engine). Needs the build (npm run build); KOPLUS_BIN overrides the executable (e.g. a build elsewhere).
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import net from 'node:net'
import { FIXTURE_MONTH, world, type World } from '../api/fixture.js'
import { writeCliToken } from '../../src/daemon/cli-token.js'
import { clockEnv } from '../helpers/faketime.js'

t.setTimeout(300_000)
const BIN = process.env.KOPLUS_BIN ?? resolve('bin/koplus.js')
const built = existsSync(resolve(BIN, '../../dist/src/cli/main.js'))

interface Run {
  code: number
  stdout: string
  stderr: string
  /** The parsed --json output, read field by field by the assertions (which are its type check). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON of every command's output
  json: any
}

function run(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...clockEnv(), ...opts.env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0
        let json: unknown
        try {
          json = JSON.parse(stdout)
        } catch {
          json = undefined
        }
        resolvePromise({ code, stdout, stderr, json })
      },
    )
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin)
    else child.stdin!.end()
  })
}

t.test(
  'CLI against the API',
  { skip: !built && !process.env.CI && `no build at ${BIN} (run npm run build first)` },
  async (t) => {
    const w: World = await world()
    t.teardown(() => w.close())
    const k = (...args: string[]) => run(['--api', w.url, '--token', w.tokens.operator, ...args])
    const kj = (...args: string[]) => k(...args, '--json')

    await t.test('queues: add, list, show, set, remove; errors', async (t) => {
      const add = await kj(
        'queue',
        'add',
        '5300',
        'Returns',
        '--tag',
        'support',
        'ringTimeSec=25',
        'closedAction={"type":"busy"}',
        '--tenant',
        'ta',
      )
      t.equal(add.code, 0, add.stderr)
      t.match(add.json, {
        number: '5300',
        name: 'Returns',
        tenantId: 'ta',
        tags: ['support'],
        settings: { ringTimeSec: 25, closedAction: { type: 'busy' } },
      })
      t.ok(await w.store.queues.getByNumber('ta', '5300'), 'in the store')
      t.ok(w.live.reloads > 0, 'the daemon reloaded')

      const dup = await kj('queue', 'add', '5300', 'Again', '--tenant', 'ta')
      t.equal(dup.code, 1)
      t.match(dup.stderr, /^error: .*5300.*(exists|already)/m)

      const missing = await kj('queue', 'add', '5301')
      t.equal(missing.code, 1)
      t.match(missing.stderr, /missing required argument 'name'/)

      const list = await kj('queue', 'list', '--tenant', 'ta')
      t.same(list.json.map((q: { number: string }) => q.number).sort(), ['5000', '5001', '5300'])
      const table = await k('queue', 'list')
      t.match(table.stdout, /^NUMBER\s+NAME\s+TENANT\s+STRATEGY/)
      t.match(table.stdout, /5300\s+Returns\s+ta\s+longest-idle\s+25s/)

      const show = await kj('queue', 'show', '5300')
      t.equal(show.json.settings.ringTimeSec, 25)
      const set = await kj('queue', 'set', '5300', 'wrapUpSec=45', 'name=Returns desk', 'tags=support,returns')
      t.equal(set.code, 0, set.stderr)
      t.match(set.json, {
        name: 'Returns desk',
        tags: ['support', 'returns'],
        settings: { wrapUpSec: 45, ringTimeSec: 25 },
      })
      const bad = await kj('queue', 'set', '5300', 'ringTimeSec=soon')
      t.equal(bad.code, 1)
      t.match(bad.stderr, /settings\.ringTimeSec/)
      const unknown = await kj('queue', 'show', '9999')
      t.equal(unknown.code, 1)
      t.match(unknown.stderr, /unknown queue '9999'/)
      const noEq = await kj('queue', 'set', '5300', 'ringTimeSec')
      t.match(noEq.stderr, /expected key=value/)

      const rm = await kj('queue', 'remove', '5300')
      t.equal(rm.code, 0)
      t.notOk(await w.store.queues.getByNumber('ta', '5300'))
    })

    await t.test('agents and membership, live actions', async (t) => {
      const add = await kj(
        'agent',
        'add',
        '1050',
        'Eva',
        '--plan',
        'business',
        '--device',
        'softphone:1050',
        '--device',
        'mobile:0705551234',
        '--tenant',
        'ta',
      )
      t.equal(add.code, 0, add.stderr)
      t.match(add.json, {
        extension: '1050',
        plan: 'business',
        sipUser: '1050',
        devices: [{ type: 'softphone' }, { type: 'mobile', target: '0705551234' }],
      })
      const badPlan = await kj('agent', 'add', '1051', 'X', '--plan', 'gold')
      t.equal(badPlan.code, 1)
      t.match(badPlan.stderr, /Allowed choices are basic, pro, business, enterprise/)
      const badDevice = await kj('agent', 'add', '1052', 'X', '--device', 'softphone')
      t.match(badDevice.stderr, /type:target/)

      t.equal((await kj('member', 'add', '1050', '5000')).code, 0)
      const again = await kj('member', 'add', '1050', '5000')
      t.equal(again.code, 1)
      t.match(again.stderr, /already a member/)
      t.ok(await w.store.memberships.has(add.json.id, 'qa'))

      const login = await kj('agent', 'login', '1050')
      t.equal(login.code, 0, login.stderr)
      t.match(w.live.events.at(-1), { type: 'agent-login', agentId: add.json.id, source: 'cli' })
      const login1 = await kj('agent', 'login', '1050', '5000')
      t.match(w.live.events.at(-1), { type: 'agent-login', queueIds: ['qa'] })
      t.equal(login1.code, 0)
      const notMember = await kj('agent', 'login', '1050', '5001')
      t.equal(notMember.code, 1)
      t.match(notMember.stderr, /not a member of queue 5001/)
      const plan = await kj('agent', 'login', '1002')
      t.equal(plan.code, 1)
      t.match(plan.stderr, /basic plan.*Pro, Business or Enterprise/)

      t.equal((await kj('agent', 'pause', '1050', '--reason', 'lunch')).code, 0)
      t.match(w.live.events.at(-1), { type: 'agent-pause', paused: true, reason: 'lunch' })
      t.equal((await kj('agent', 'unpause', '1050')).code, 0)
      t.equal((await kj('agent', 'device', '1050', '2')).code, 0)
      t.equal((await w.store.agents.get(add.json.id)).activeDevice, 1)
      const badIndex = await kj('agent', 'device', '1050', '7')
      t.equal(badIndex.code, 1)
      t.match(badIndex.stderr, /index/)
      t.equal((await kj('agent', 'logout', '1050')).code, 0)
      t.match(w.live.events.at(-1), { type: 'agent-logout' })

      const list = await kj('agent', 'list', '--tenant', 'ta')
      t.ok(list.json.some((a: { extension: string }) => a.extension === '1050'))
      const table = await k('agent', 'list')
      t.match(table.stdout, /EXT\s+NAME\s+TENANT\s+PLAN\s+DEVICE\s+STATE/)
      const set = await kj('agent', 'set', '1050', 'wrapUpSec=5', 'skills={"sv":4}')
      t.match(set.json, { wrapUpSec: 5, skills: { sv: 4 } })
      const badKey = await kj('agent', 'set', '1050', 'colour=red')
      t.match(badKey.stderr, /unknown agent field 'colour'/)
      const show = await k('agent', 'show', '1050')
      t.match(show.stdout, /device 2: mobile 0705551234 {2}\(active\)/)

      t.equal((await kj('member', 'remove', '1050', '5000')).code, 0)
      t.notOk(await w.store.memberships.has(add.json.id, 'qa'))
      t.equal((await kj('agent', 'remove', '1050')).code, 0)
      const gone = await kj('agent', 'show', '1050')
      t.match(gone.stderr, /unknown agent '1050'/)
    })

    await t.test('schedule, calendars, closures', async (t) => {
      const rule = await kj(
        'schedule',
        'add-rule',
        '5000',
        '--rrule',
        'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
        '--start',
        '08:00',
        '--minutes',
        '540',
        '--id',
        'wd',
        '--label',
        'Weekdays',
      )
      t.equal(rule.code, 0, rule.stderr)
      const badRule = await kj(
        'schedule',
        'add-rule',
        '5000',
        '--rrule',
        'FREQ=SOMETIMES',
        '--start',
        '08:00',
        '--minutes',
        '60',
      )
      t.equal(badRule.code, 1)
      t.match(badRule.stderr, /rrule/)
      const ex = await kj('schedule', 'explain', '5000', '--at', '2026-11-25T12:00:00Z')
      t.match(ex.json, { open: true, decidedBy: { id: 'wd' } })
      const exText = await k('schedule', 'explain', '5000', '--at', '2026-11-28T12:00:00Z')
      t.match(exText.stdout, /CLOSED/)
      const next = await kj('schedule', 'next', '5000', '--days', '14')
      t.ok(next.json.length >= 18, `transitions over 14 days: ${next.json.length}`)
      const badDays = await kj('schedule', 'next', '5000', '--days', 'many')
      t.equal(badDays.code, 1)
      t.match(badDays.stderr, /days/)

      const cal = await kj('calendar', 'add', 'Svenska helgdagar', '--id', 'se', '--tenant', 'ta')
      t.equal(cal.code, 0, cal.stderr)
      t.equal((await kj('calendar', 'add-date', 'se', '2026-11-25', 'Company day')).code, 0)
      t.equal((await kj('schedule', 'calendars', '5000', 'se')).code, 0)
      const holiday = await kj('schedule', 'explain', '5000', '--at', '2026-11-25T12:00:00Z')
      t.match(holiday.json, { open: false, decidedBy: { kind: 'holiday' } })
      t.equal((await kj('calendar', 'remove-date', 'se', '2026-11-25')).code, 0)
      const cals = await kj('calendar', 'list', '--tenant', 'ta')
      t.same(
        cals.json.map((c: { id: string }) => c.id),
        ['se'],
      )

      const close = await kj(
        'close',
        '--tag',
        'support',
        '--tenant',
        'ta',
        '--reason',
        'storm',
        '--until',
        '2026-11-25T15:00:00Z',
      )
      t.equal(close.code, 0, close.stderr)
      t.same(close.json.queueIds, ['qa'])
      t.equal(close.json.by, 'op')
      const closed = await kj('schedule', 'explain', '5000', '--at', '2026-11-25T12:00:00Z')
      t.match(closed.json, { open: false, decidedBy: { kind: 'closure' } })
      const none = await kj('close', '--reason', 'x')
      t.equal(none.code, 1)
      t.match(none.stderr, /--tag or --all/)
      const noReason = await kj('close', '5000')
      t.match(noReason.stderr, /required option '--reason/)
      const list = await kj('closures', '--active')
      t.equal(list.json.length, 1)
      t.equal((await kj('reopen', '5000')).code, 0)
      t.equal((await kj('closures', '--active')).json.length, 0)
      const again = await kj('reopen', '5000')
      t.equal(again.code, 1)
      t.match(again.stderr, /no closure in force/)

      t.equal((await kj('schedule', 'remove-rule', '5000', 'wd')).code, 0)
      t.equal((await kj('schedule', 'remove-rule', '5000', 'wd')).code, 1)
    })

    await t.test('calls, stats, ewt, licences', async (t) => {
      const at = w.now.t - 3600_000
      await w.store.calls.start({
        callId: 'cli-1',
        tenantId: 'ta',
        queueId: 'qa',
        arrivedAt: at,
        callerNumber: '0701',
        enteredQueueAt: at,
      })
      await w.store.calls.update('cli-1', {
        answeredAt: at + 10_000,
        endedAt: at + 70_000,
        outcome: 'answered',
        agentId: 'aa',
        waitMs: 10_000,
        talkMs: 60_000,
      })
      const calls = await kj('calls', '--queue', '5000')
      t.same(
        calls.json.map((c: { callId: string }) => c.callId),
        ['cli-1'],
      )
      const callsTable = await k('calls')
      t.match(
        callsTable.stdout,
        /5000\s+0701\s+answered\s+10s\s+1m00s\s+1001\s+cli-1/,
        'queue numbers and extensions in tables',
      )
      const stats = await kj(
        'stats',
        '--queue',
        '5000',
        '--from',
        '2026-11-20T00:00:00Z',
        '--to',
        '2026-11-26T00:00:00Z',
      )
      t.match(stats.json[0], { queueId: 'qa', offered: 1, answered: 1 })
      const csv = await k(
        'stats',
        '--csv',
        '--by',
        'total',
        '--from',
        '2026-11-20T00:00:00Z',
        '--to',
        '2026-11-26T00:00:00Z',
      )
      t.equal(csv.code, 0, csv.stderr)
      t.match(csv.stdout, /^queueId,bucket,/)
      t.match(csv.stdout, /\nqa,total,/)
      const ewt = await kj('stats', 'ewt', '5000')
      t.match(ewt.json, { queueId: 'qa', n: 0 })
      const agents = await kj('stats', 'agents', '--from', '2026-11-20T00:00:00Z', '--to', '2026-11-26T00:00:00Z')
      t.ok(Array.isArray(agents.json))
      const lic = await kj('report', 'licences', '--month', FIXTURE_MONTH, '--tenant', 'ta')
      t.same(lic.json.map((r: { extension: string }) => r.extension).sort(), ['1001', '1002'])
      const licCsv = await k('report', 'licences', '--month', FIXTURE_MONTH, '--csv')
      t.match(licCsv.stdout, /^tenant,agentId,extension,name,plan,firstMemberAt,queues\r?\n/)
      const badMonth = await kj('report', 'licences', '--month', 'November')
      t.equal(badMonth.code, 1)
      t.match(badMonth.stderr, /YYYY-MM/)
      const status = await kj('status')
      t.ok(Array.isArray(status.json.queues))
      const statusTable = await k('status')
      t.match(statusTable.stdout, /QUEUE\s+NAME\s+OPEN\s+WAITING\s+LONGEST\s+LOGGED-IN\s+FREE/)
    })

    await t.test('accounts: first operator; password never on the command line', async (t) => {
      const noPw = await kj('account', 'add', 'root', '--role', 'operator')
      t.equal(noPw.code, 1)
      t.match(noPw.stderr, /no password/)
      const add = await run(
        [
          '--api',
          w.url,
          '--token',
          w.tokens.operator,
          'account',
          'add',
          'root',
          '--role',
          'operator',
          '--password-stdin',
          '--json',
        ],
        { stdin: 'a very long password\n' },
      )
      t.equal(add.code, 0, add.stderr)
      t.match(add.json, { username: 'root', role: 'operator' })
      t.notOk(add.stdout.includes('a very long password'))
      t.ok(await w.store.accounts.authenticate('root', 'a very long password'), 'the password works')
      const admin = await run(
        [
          '--api',
          w.url,
          '--token',
          w.tokens.operator,
          '--tenant',
          'ta',
          'account',
          'add',
          'boss',
          '--role',
          'tenant-admin',
          '--json',
        ],
        { env: { KOPLUS_PASSWORD: 'another long password' } },
      )
      t.equal(admin.code, 0, admin.stderr)
      t.match(admin.json, { role: 'tenant-admin', tenantId: 'ta' })
      const list = await kj('account', 'list')
      t.ok(list.json.some((a: { username: string }) => a.username === 'boss'))
      const missingRole = await kj('account', 'add', 'x')
      t.match(missingRole.stderr, /--role/)
    })

    await t.test('token from KOPLUS_TOKEN, and from <data dir>/cli-token via the config', async (t) => {
      const viaEnv = await run(['--api', w.url, 'queue', 'list', '--json'], { env: { KOPLUS_TOKEN: w.tokens.adminA } })
      t.equal(viaEnv.code, 0, viaEnv.stderr)
      t.same(
        viaEnv.json.map((q: { tenantId: string }) => q.tenantId).sort(),
        ['ta', 'ta'],
        'the tenant admin sees its own tenant',
      )

      const dataDir = mkdtempSync(join(tmpdir(), 'koplus-cli-data-'))
      const path = await writeCliToken(w.store, dataDir)
      t.equal(statSync(path).mode & 0o777, 0o640, 'mode 0640: the owner and its group')
      const token = readFileSync(path, 'utf8').trim()
      t.ok(await w.store.accounts.verifyToken(token), 'a valid operator token')
      t.equal((await w.store.accounts.verifyToken(token))!.role, 'operator')
      const port = Number(new URL(w.url).port)
      const cfg = join(dataDir, 'koplus.json')
      writeFileSync(
        cfg,
        JSON.stringify({ database: { path: join(dataDir, 'koplus.sqlite') }, api: { host: '127.0.0.1', port } }),
      )
      const viaFile = await run(['--config', cfg, 'queue', 'list', '--json'])
      t.equal(viaFile.code, 0, viaFile.stderr)
      t.equal(viaFile.json.length, 3, 'the operator sees all queues')
      // a second start rotates the token: the old one stops working
      await writeCliToken(w.store, dataDir)
      t.notOk(await w.store.accounts.verifyToken(token), 'rotated')
      const stale = await run(['--api', w.url, '--token', token, 'queue', 'list'])
      t.equal(stale.code, 1)
      t.match(stale.stderr, /invalid or expired API token/)

      const noFile = await run(['--config', join(mkdtempSync(join(tmpdir(), 'koplus-empty-')), 'none.json'), 'status'])
      t.equal(noFile.code, 1)
      t.match(noFile.stderr, /not found/)
    })
  },
)

t.test(
  'daemon not running: the address and how to start it',
  { skip: !built && !process.env.CI && 'no build' },
  async (t) => {
    const srv = net.createServer()
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
    const port = (srv.address() as net.AddressInfo).port
    await new Promise<void>((r) => srv.close(() => r()))
    const r = await run(['--api', `http://127.0.0.1:${port}`, '--token', 'x', 'status'])
    t.equal(r.code, 2)
    t.match(r.stderr, new RegExp(`not running at http://127\\.0\\.0\\.1:${port}`))
    t.match(r.stderr, /koplus daemon/)
  },
)
