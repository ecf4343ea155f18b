/**
 * `koplus schedule …` (a queue's opening hours: show, explain, next, set, add-rule, remove-rule, calendars) and
 * `koplus calendar …` (holiday calendars: list, show, add, add-date, remove-date, remove).
 */
import { type Command, Option } from 'commander'
import { readFileSync } from 'node:fs'
import { CliError } from '../client.js'
import { instant, table } from '../format.js'
import { zoneOf, type Items, type Kit } from '../kit.js'
import { wholeNumber } from '../parse.js'
import { parseTime } from '../time.js'

export function registerScheduleCommands(program: Command, kit: Kit): void {
  const { g, client, show, tenantQuery, findQueue } = kit
  const schedule = program
    .command('schedule')
    .description('opening hours per queue: show, explain, next, set, add-rule, remove-rule')
  schedule
    .command('show <queue>')
    .description("the queue's rules, time zone and calendars")
    .action(async (ref: string, _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const r = await api.request<{
        schedule: { timeZone: string; calendarIds: string[]; rules: Record<string, unknown>[] } | null
      }>('GET', `/api/v1/queues/${q.id}/schedule`)
      show(cmd, r, () =>
        r.schedule
          ? [
              `time zone ${r.schedule.timeZone}; holiday calendars: ${r.schedule.calendarIds.join(', ') || '-'}`,
              table(r.schedule.rules, [
                { header: 'ID', get: (x) => x.id },
                { header: 'KIND', get: (x) => x.kind },
                { header: 'RRULE', get: (x) => x.rrule },
                { header: 'START', get: (x) => x.start },
                { header: 'MINUTES', get: (x) => x.durationMinutes, align: 'right' },
                { header: 'FROM', get: (x) => x.from },
                { header: 'UNTIL', get: (x) => x.until },
                { header: 'LABEL', get: (x) => x.label },
              ]),
            ].join('\n')
          : `queue ${q.number} has no schedule: always open (unless closed by a closure)`,
      )
    })
  schedule
    .command('explain <queue>')
    .description('open or closed at an instant, which rule decided, when it next changes')
    .option('--at <time>', "instant: ISO 8601, 'HH:MM' today, '+2h', or epoch ms (default now)")
    .action(async (ref: string, o: { at?: string }, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const zone = zoneOf(q)
      const at = o.at !== undefined ? `?at=${parseTime(o.at, { zone, dayTime: 'today' })}` : ''
      const r = await api.request<{
        at: number
        open: boolean
        reason: string
        nextChange?: number
        timeZone?: string
      }>('GET', `/api/v1/queues/${q.id}/schedule/explain${at}`)
      const z = r.timeZone ?? zone
      show(
        cmd,
        r,
        () =>
          `queue ${q.number} at ${instant(r.at, z)}: ${r.open ? 'OPEN' : 'CLOSED'} — ${r.reason} (times in ${z})${r.nextChange ? `\nnext change: ${instant(r.nextChange, z)} (${r.open ? 'closes' : 'opens'})` : ''}`,
      )
    })
  schedule
    .command('next <queue>')
    .description('the coming open/closed transitions')
    .option('--days <n>', 'how many days ahead', '14')
    .action(async (ref: string, o: { days: string }, cmd: Command) => {
      wholeNumber('--days', o.days, 1, 366)
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const r = await api.request<Items<{ at: number; open: boolean; reason: string }> & { timeZone?: string }>(
        'GET',
        `/api/v1/queues/${q.id}/schedule/next?days=${encodeURIComponent(o.days)}`,
      )
      const z = r.timeZone ?? zoneOf(q)
      show(cmd, r.items, () =>
        r.items.length
          ? `${table(r.items, [
              { header: 'AT', get: (x) => instant(x.at, z) },
              { header: 'BECOMES', get: (x) => (x.open ? 'open' : 'closed') },
              { header: 'REASON', get: (x) => x.reason },
            ])}\ntimes in ${z}`
          : `no change in the next ${o.days} days`,
      )
    })
  schedule
    .command('set <queue>')
    .description(
      'replace the whole schedule from a JSON file ({ timeZone, calendarIds, rules }) or remove it (--none: always open)',
    )
    .option('--file <path>', 'schedule JSON')
    .option('--none', 'no schedule: always open')
    .action(async (ref: string, o: { file?: string; none?: boolean }, cmd: Command) => {
      if (!o.file && !o.none) throw new CliError('give --file <schedule.json> or --none')
      let sched: unknown = null
      if (o.file) {
        try {
          sched = JSON.parse(readFileSync(o.file, 'utf8'))
        } catch (err) {
          throw new CliError(`cannot read ${o.file}: ${(err as Error).message}`)
        }
      }
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const r = await api.request('PUT', `/api/v1/queues/${q.id}/schedule`, { schedule: sched })
      show(cmd, r, () => `schedule of queue ${q.number} ${sched ? 'replaced' : 'removed (always open)'}`)
    })
  schedule
    .command('add-rule <queue>')
    .description('add an opening rule, e.g. --rrule "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" --start 08:00 --minutes 540')
    .requiredOption('--rrule <rrule>', 'RFC 5545 RRULE body (FREQ=DAILY|WEEKLY|MONTHLY|YEARLY;…)')
    .requiredOption('--start <HH:MM>', 'local opening time')
    .requiredOption('--minutes <n>', 'length of each opening in minutes')
    .addOption(
      new Option('--kind <kind>', 'open, closed (exception) or special (opening that wins over holidays)')
        .choices(['open', 'closed', 'special'])
        .default('open'),
    )
    .option('--id <id>', 'rule id')
    .option('--label <text>', 'name shown in explanations')
    .option('--from <date>', 'first date YYYY-MM-DD')
    .option('--until <date>', 'last date YYYY-MM-DD')
    .action(
      async (
        ref: string,
        o: {
          rrule: string
          start: string
          minutes: string
          kind: string
          id?: string
          label?: string
          from?: string
          until?: string
        },
        cmd: Command,
      ) => {
        const api = client(cmd)
        const q = await findQueue(cmd, api, ref)
        const minutes = Number(o.minutes)
        if (!Number.isInteger(minutes)) throw new CliError(`--minutes: expected a whole number, got '${o.minutes}'`)
        const body = {
          kind: o.kind,
          rrule: o.rrule,
          start: o.start,
          durationMinutes: minutes,
          ...(o.id ? { id: o.id } : {}),
          ...(o.label ? { label: o.label } : {}),
          ...(o.from ? { from: o.from } : {}),
          ...(o.until ? { until: o.until } : {}),
        }
        const r = await api.request<{ rule: { id: string } }>('POST', `/api/v1/queues/${q.id}/schedule/rules`, body)
        show(cmd, r, () => `rule ${r.rule.id} added to queue ${q.number}`)
      },
    )
  schedule
    .command('remove-rule <queue> <ruleId>')
    .description('remove an opening rule')
    .action(async (ref: string, ruleId: string, _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      await api.request('DELETE', `/api/v1/queues/${q.id}/schedule/rules/${encodeURIComponent(ruleId)}`)
      show(cmd, { removed: ruleId }, () => `rule ${ruleId} removed from queue ${q.number}`)
    })
  schedule
    .command('calendars <queue> [calendarIds...]')
    .description('set which holiday calendars apply to the queue')
    .action(async (ref: string, ids: string[], _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const cur = (
        await api.request<{ schedule: Record<string, unknown> | null }>('GET', `/api/v1/queues/${q.id}/schedule`)
      ).schedule ?? { timeZone: 'Europe/Stockholm', rules: [], alwaysOpen: true }
      const r = await api.request('PUT', `/api/v1/queues/${q.id}/schedule`, { schedule: { ...cur, calendarIds: ids } })
      show(cmd, r, () => `queue ${q.number}: holiday calendars ${ids.join(', ') || 'none'}`)
    })

  // ── calendar ──
  const calendar = program
    .command('calendar')
    .description('holiday calendars: list, show, add, add-date, remove-date, remove')
  interface Cal {
    id: string
    tenantId: string | null
    name: string
    country?: string
    region?: string
    closedTypes?: string[]
    customDates: { date: string; name: string; closed: boolean; start?: string; end?: string }[]
  }
  calendar.command('list').action(async (_o, cmd: Command) => {
    const r = await client(cmd).request<Items<Cal>>('GET', `/api/v1/calendars${tenantQuery(cmd)}`)
    show(cmd, r.items, () =>
      table(r.items, [
        { header: 'ID', get: (c) => c.id },
        { header: 'NAME', get: (c) => c.name },
        { header: 'TENANT', get: (c) => c.tenantId ?? '(shared)' },
        { header: 'COUNTRY', get: (c) => c.country ?? 'SE' },
        { header: 'CLOSED TYPES', get: (c) => c.closedTypes ?? ['public', 'bank'] },
        { header: 'CUSTOM DATES', get: (c) => c.customDates.length, align: 'right' },
      ]),
    )
  })
  calendar.command('show <id>').action(async (id: string, _o, cmd: Command) => {
    const c = await client(cmd).request<Cal>('GET', `/api/v1/calendars/${encodeURIComponent(id)}`)
    show(cmd, c, () =>
      [
        `calendar ${c.id} "${c.name}" (country ${c.country ?? 'SE'}${c.region ? `/${c.region}` : ''}; closed on ${(c.closedTypes ?? ['public', 'bank']).join(', ')})`,
        ...c.customDates.map(
          (d) =>
            `  ${d.date} ${d.closed ? 'closed' : 'open'}${d.start || d.end ? ` ${d.start ?? '00:00'}-${d.end ?? '24:00'}` : ''}  ${d.name}`,
        ),
      ].join('\n'),
    )
  })
  calendar
    .command('add <name>')
    .option('--id <id>', 'calendar id')
    .option('--country <code>', 'ISO country of the built-in holidays', 'SE')
    .option('--region <code>', 'region of the country')
    .option('--closed-types <list>', 'built-in holiday types that close (public,bank,observance,school,optional)')
    .option('--shared', 'shared by every tenant (operators)')
    .action(
      async (
        name: string,
        o: { id?: string; country: string; region?: string; closedTypes?: string; shared?: boolean },
        cmd: Command,
      ) => {
        const body = {
          name,
          country: o.country,
          ...(o.id ? { id: o.id } : {}),
          ...(o.region ? { region: o.region } : {}),
          ...(o.closedTypes ? { closedTypes: o.closedTypes.split(',') } : {}),
          ...(o.shared ? { tenantId: null } : g(cmd).tenant ? { tenantId: g(cmd).tenant } : {}),
          customDates: [],
        }
        const c = await client(cmd).request<Cal>('POST', '/api/v1/calendars', body)
        show(cmd, c, () => `calendar ${c.id} "${c.name}" added`)
      },
    )
  calendar
    .command('add-date <id> <date> <name>')
    .description('a custom date: closed (default) or --open (a built-in holiday does not close that day)')
    .option('--open', 'force open instead of closed')
    .option('--start <HH:MM>', 'only from this time')
    .option('--end <HH:MM>', 'only until this time')
    .action(
      async (
        id: string,
        date: string,
        name: string,
        o: { open?: boolean; start?: string; end?: string },
        cmd: Command,
      ) => {
        const api = client(cmd)
        const c = await api.request<Cal>('GET', `/api/v1/calendars/${encodeURIComponent(id)}`)
        const d = {
          date,
          name,
          closed: !o.open,
          ...(o.start ? { start: o.start } : {}),
          ...(o.end ? { end: o.end } : {}),
        }
        const r = await api.request<Cal>('PATCH', `/api/v1/calendars/${c.id}`, {
          customDates: [...c.customDates.filter((x) => x.date !== date), d],
        })
        show(cmd, r, () => `calendar ${c.id}: ${date} ${d.closed ? 'closed' : 'open'} (${name})`)
      },
    )
  calendar.command('remove-date <id> <date>').action(async (id: string, date: string, _o, cmd: Command) => {
    const api = client(cmd)
    const c = await api.request<Cal>('GET', `/api/v1/calendars/${encodeURIComponent(id)}`)
    if (!c.customDates.some((x) => x.date === date)) throw new CliError(`calendar ${id} has no custom date ${date}`)
    const r = await api.request<Cal>('PATCH', `/api/v1/calendars/${c.id}`, {
      customDates: c.customDates.filter((x) => x.date !== date),
    })
    show(cmd, r, () => `calendar ${c.id}: ${date} removed`)
  })
  calendar.command('remove <id>').action(async (id: string, _o, cmd: Command) => {
    await client(cmd).request('DELETE', `/api/v1/calendars/${encodeURIComponent(id)}`)
    show(cmd, { removed: id }, () => `calendar ${id} removed`)
  })
}
