/**
 * The CLI shows and reads times in the queue's zone whatever the host's zone (issue 10 item 2), and the small CLI
 * fixes of issue 10 item 7. Spawns the built CLI (npm run build) against an in-process API with TZ=UTC,
 * America/New_York and Asia/Kolkata; the CLI's clock is set with faketime (an offset, so no host zone is involved)
 * where "now" matters.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { world, type World } from '../api/fixture.js'
import { HOST_ZONES } from '../helpers/under-zones.js'
import { clockEnv, faketimeEnv, libfaketime } from '../helpers/faketime.js'

t.setTimeout(300_000)
const BIN = process.env.KOPLUS_BIN ?? resolve('bin/koplus.js')
const built = existsSync(resolve(BIN, '../../dist/src/cli/main.js'))
const faketime = libfaketime()

interface Run {
  code: number
  stdout: string
  stderr: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the parsed --json output, checked by the assertions
  json: any
}

/** The CLI with a host zone and, optionally, its clock at `now` (epoch ms). */
function run(args: string[], o: { tz: string; now?: number }): Promise<Run> {
  const clock = o.now !== undefined && faketime ? faketimeEnv(faketime, o.now - Date.now()) : clockEnv()
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), TZ: o.tz, ...clock }, timeout: 30_000 },
      (err, stdout, stderr) => {
        let json: unknown
        try {
          json = JSON.parse(stdout)
        } catch {
          json = undefined
        }
        done({
          code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
          stdout,
          stderr,
          json,
        })
      },
    )
  })
}

const Z = (iso: string): number => Date.parse(iso)
const weekdays = (timeZone: string) => ({
  timeZone,
  calendarIds: [],
  rules: [
    {
      id: 'wd',
      kind: 'open' as const,
      rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
      start: '08:00',
      durationMinutes: 540,
      label: 'Weekdays',
    },
  ],
})

t.test(
  "times in the queue's zone under any host zone",
  { skip: !built && !process.env.CI && `no build at ${BIN} (run npm run build first)` },
  async (t) => {
    const w: World = await world()
    t.teardown(() => w.close())
    await w.store.queues.update('qa', { schedule: weekdays('Europe/Stockholm') })
    await w.store.queues.update('qa2', { schedule: weekdays('America/New_York') })

    for (const tz of HOST_ZONES) {
      await t.test(`TZ=${tz}`, async (t) => {
        const k = (args: string[], now?: number) =>
          run(['--api', w.url, '--token', w.tokens.operator, ...args], { tz, now })

        const ex = await k(['schedule', 'explain', '5000', '--at', '2026-11-25T13:00', '--json'])
        t.equal(ex.code, 0, ex.stderr)
        t.equal(ex.json.at, Z('2026-11-25T12:00:00Z'), "--at without an offset is read in the queue's zone")
        t.equal(ex.json.timeZone, 'Europe/Stockholm', 'the answer names the zone of its reason')
        const exText = await k(['schedule', 'explain', '5000', '--at', '2026-11-25T13:00'])
        t.match(
          exText.stdout,
          /^queue 5000 at 2026-11-25 13:00:00 \+01:00: OPEN — open: rule "Weekdays" 08:00–17:00 \(times in Europe\/Stockholm\)\nnext change: 2026-11-25 17:00:00 \+01:00 \(closes\)$/m,
        )
        const ny = await k(['schedule', 'explain', '5001', '--at', '2026-11-25T13:00'])
        t.match(
          ny.stdout,
          /^queue 5001 at 2026-11-25 13:00:00 -05:00: OPEN .*America\/New_York.*\nnext change: 2026-11-25 17:00:00 -05:00/m,
          'another queue, its own zone',
        )
        const next = await k(['schedule', 'next', '5001', '--days', '3'])
        t.match(
          next.stdout,
          /^AT\s+BECOMES\s+REASON\n\d{4}-\d\d-\d\d \d\d:00:00 -05:00\s+(open|closed)\s+/,
          "the transitions in the queue's zone",
        )
        t.match(next.stdout, /\ntimes in America\/New_York\n?$/)
        const atNine = await k(['schedule', 'explain', '5000', '--at', '09:00', '--json'], Z('2026-11-25T15:00:00Z'))
        t.equal(atNine.json.at, Z('2026-11-25T08:00:00Z'), "explain --at HH:MM is today in the queue's zone")

        // the reporter's closure: the reason's time and the next change agree
        const c = await w.store.closures.create({
          tenantId: 'ta',
          scope: { kind: 'queues', queueIds: ['qa'] },
          reason: 'Outage',
          by: 'op',
          from: Z('2026-11-25T12:00:00Z'),
          until: Z('2026-11-25T15:02:00Z'),
        })
        const during = await k(['schedule', 'explain', '5000', '--at', '2026-11-25T13:30:00+01:00'])
        t.match(
          during.stdout,
          /CLOSED — closed: temporary closure "Outage" by op until 16:02 \(times in Europe\/Stockholm\)\nnext change: 2026-11-25 16:02:00 \+01:00 \(opens\)/,
        )
        const list = await k(['closures'])
        t.match(
          list.stdout,
          new RegExp(`${c.id}\\s+5000\\s+2026-11-25 13:00:00 \\+01:00\\s+2026-11-25 16:02:00 \\+01:00\\s+Outage`),
        )
        await w.store.closures.reopen(c.id, 'op', c.from) // gone for the next host zone's run

        // close --from 13:00 --until 15:00 typed at 16:00: tomorrow's window (the next such times)
        const late = Z('2026-11-25T15:00:00Z')
        w.now.t = late
        t.teardown(() => {
          w.now.t = Z('2026-11-25T12:00:00Z')
        })
        if (faketime) {
          const close = await k(
            ['close', '5000', '--from', '13:00', '--until', '15:00', '--reason', 'Meeting', '--json'],
            late,
          )
          t.equal(close.code, 0, close.stderr)
          t.equal(close.json.from, Z('2026-11-26T12:00:00Z'), '--from 13:00 after 15:00 is tomorrow 13:00 in Stockholm')
          t.equal(close.json.until, Z('2026-11-26T14:00:00Z'), '--until 15:00 is the next 15:00 after the start')
          const text = await k(['close', '5000', '--until', '01:00', '--from', '23:00', '--reason', 'Night'], late)
          t.equal(text.code, 0, text.stderr)
          t.match(
            text.stdout,
            /1 queue closed from 2026-11-25 23:00:00 \+01:00 until 2026-11-26 01:00:00 \+01:00/,
            'an overnight window; said with dates and offsets',
          )
          for (const x of await w.store.closures.list('ta'))
            if (!x.reopenedAt) await w.store.closures.reopen(x.id, 'op', late)
        } else if (process.env.CI) t.fail('libfaketime is missing in CI (.ci/run installs the Debian package faketime)')
        else t.comment('faketime not installed: close --from HH:MM at a set clock not run')

        const open = await w.store.closures.create({
          tenantId: 'ta',
          scope: { kind: 'queues', queueIds: ['qa'] },
          reason: 'Storm',
          by: 'op',
          from: late - 60_000,
        })
        const active = await k(['closures', '--active'])
        t.match(active.stdout, /Storm/)
        t.match(active.stdout, /until reopened/, 'an open-ended closure in force')
        t.notMatch(active.stdout, /reopened by hand/)
        await w.store.closures.reopen(open.id, 'op', open.from)
        w.now.t = Z('2026-11-25T12:00:00Z')

        await w.store.calls.start({
          callId: `z-${tz}`,
          tenantId: 'ta',
          queueId: 'qa2',
          arrivedAt: Z('2026-11-25T11:59:00Z'),
          callerNumber: '0701',
        })
        const calls = await k(['calls', '--queue', '5001'])
        t.match(calls.stdout, /2026-11-25 06:59:00 -05:00\s+5001\s+0701/, "a call arrived in the queue's zone")
      })
    }
  },
)

t.test('small ones (issue 10 item 7)', { skip: !built && !process.env.CI && 'no build' }, async (t) => {
  const w: World = await world()
  t.teardown(() => w.close())
  const k = (...args: string[]) => run(['--api', w.url, '--token', w.tokens.operator, ...args], { tz: 'UTC' })

  const exitKey = await k(
    'queue',
    'set',
    '5000',
    'exitKey=0',
    `exitAction={"type":"forward","destination":"0812345"}`,
    'ringTimeSec=30',
    '--json',
  )
  t.equal(exitKey.code, 0, exitKey.stderr)
  t.match(
    exitKey.json?.settings,
    { exitKey: '0', ringTimeSec: 30, exitAction: { type: 'forward', destination: '0812345' } },
    'a text setting takes 0 as the text "0"',
  )
  const badRing = await k('queue', 'set', '5000', 'ringTimeSec=soon')
  t.match(badRing.stderr, /settings\.ringTimeSec: expected an integer.*"soon"/)

  const at = w.now.t - 3600_000
  await w.store.calls.start({
    callId: 's1',
    tenantId: 'ta',
    queueId: 'qa',
    arrivedAt: at,
    callerNumber: '0701',
    enteredQueueAt: at,
  })
  await w.store.calls.update('s1', {
    answeredAt: at + 10_000,
    endedAt: at + 70_000,
    outcome: 'answered',
    agentId: 'aa',
    waitMs: 10_000,
    talkMs: 60_000,
  })
  const agentsCsv = await k('stats', 'agents', '--csv', '--from', '2026-11-20', '--to', '2026-11-26')
  t.equal(agentsCsv.code, 0, agentsCsv.stderr)
  t.match(agentsCsv.stdout, /^agentId,/, 'stats agents --csv prints CSV')
  t.notMatch(agentsCsv.stdout, /AGENT\s+NAME/)

  const version = await run(['--version'], { tz: 'UTC' })
  t.equal(version.code, 0)
  t.match(version.stdout.trim(), /^\d+\.\d+\.\d+/)
  const help = await run(['--help'], { tz: 'UTC' })
  t.match(help.stdout, /agent\s+agents: .*wrapup-end/s, 'koplus --help names wrapup-end among the agent commands')

  const notMember = await k('member', 'remove', '1001', '5001')
  t.equal(notMember.code, 1)
  t.match(notMember.stderr, /agent 1001 is not a member of queue 5001/, 'the error names what was typed')
  t.notMatch(notMember.stderr, /\baa\b|\bqa2\b/)

  const limit = await k('calls', '--limit', 'abc')
  t.equal(limit.code, 1)
  t.match(limit.stderr, /--limit: expected a whole number 1-1000, got 'abc'/)

  await w.store.ewt.record({ callId: 'e1', queueId: 'qa', at: w.now.t - 60_000, position: 1, announcedSeconds: 30 })
  await w.store.ewt.resolve('e1', w.now.t - 45_000)
  const ewt = await k('stats', 'ewt', '5000')
  t.match(ewt.stdout, /queue 5000: 1 announcement; /)

  await w.store.prompts.put({
    tenantId: 'ta',
    queueId: 'qa',
    language: 'sv',
    name: 'welcome',
    path: '/tmp/welcome.wav',
  })
  const prompts = await k('prompt', 'list')
  t.match(prompts.stdout, /welcome\s+sv\s+ta\s+5000\s+/, 'the queue number, not its id')
})
