/**
 * `koplus stats [agents|ewt]` and `koplus report licences`: statistics and reports, as tables or CSV.
 */
import { type Command, Option } from 'commander'
import { type ApiClient, CliError } from '../client.js'
import { duration, instant, plural, table } from '../format.js'
import { zoneOf, type Items, type Kit, type Queue } from '../kit.js'
import { parseTime, type TimeContext } from '../time.js'

/** Rows of GET /api/v1/stats/queues, /stats/agents and /reports/licences, as these commands read them. */
interface QueueStatsRow {
  queueId: string
  bucket: string
  timeZone?: string
  offered: number
  answered: number
  abandoned: number
  serviceLevel: number | null
  avgWaitMs: number | null
  p90WaitMs: number | null
  avgTalkMs: number | null
  abandonedCallers: { callerNumber: string }[]
}
interface AgentStatsRow {
  agentId: string
  extension?: string | null
  name: string
  offered: number
  answered: number
  missed: number
  talkMs: number
  wrapUpMs: number
}
interface LicenceRow {
  tenant: string
  extension: string
  name: string
  plan: string
  firstMemberAt: number
  queues: number
}

export function registerReportCommands(program: Command, kit: Kit): void {
  const { out, g, client, show, findQueue, names } = kit
  /**
   * A subcommand's own options merged over its parent's: commander gives `stats agents --csv --from X` to `stats`,
   * which has options of the same names, so the subcommand alone would never see them.
   */
  const statsOpts = (cmd: Command): { from?: string; to?: string; csv?: boolean } => ({
    ...cmd.parent!.opts(),
    ...cmd.opts(),
  })
  /** --from/--to as epoch ms; a time without an offset in the queue's zone (else the tenant's), HH:MM today. */
  async function statsTimes(
    cmd: Command,
    api: ApiClient,
    o: { from?: string; to?: string },
    q?: Queue,
  ): Promise<Record<string, string>> {
    if (!o.from && !o.to) return {}
    const zone = q ? zoneOf(q) : (await names(cmd, api)).zone
    const ctx: TimeContext = { zone, dayTime: 'today' }
    return {
      ...(o.from ? { from: String(parseTime(o.from, ctx)) } : {}),
      ...(o.to ? { to: String(parseTime(o.to, ctx)) } : {}),
    }
  }
  const stats = program
    .command('stats')
    .description('per queue per day (or hour): offered, answered, abandoned, service level, waits, talk time')
    .option('--queue <queue>', 'one queue')
    .option('--from <time>', 'start (default 7 days ago)')
    .option('--to <time>', 'end (default now)')
    .addOption(new Option('--by <bucket>', 'bucket').choices(['day', 'hour', 'total']).default('day'))
    .option('--sl <sec>', 'service-level threshold in seconds', '20')
    .option('--csv', 'CSV output')
    .action(
      async (
        o: { queue?: string; from?: string; to?: string; by: string; sl: string; csv?: boolean },
        cmd: Command,
      ) => {
        const api = client(cmd)
        const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
        const when = await statsTimes(cmd, api, o, q)
        const params = new URLSearchParams({
          by: o.by,
          sl: o.sl,
          ...(q ? { queue: q.id } : {}),
          ...when,
          ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}),
        })
        if (o.csv) {
          params.set('format', 'csv')
          out.out(await api.request<string>('GET', `/api/v1/stats/queues?${params}`, undefined, { text: true }))
          return
        }
        const r = await api.request<Items<QueueStatsRow>>('GET', `/api/v1/stats/queues?${params}`)
        const n = await names(cmd, api)
        const ms = (v: number | null) => duration(v === null ? null : v / 1000)
        show(cmd, r.items, () =>
          table(r.items, [
            { header: 'QUEUE', get: (x) => n.q(x.queueId) },
            {
              header: 'BUCKET',
              get: (x) => (x.bucket === 'total' || !x.timeZone ? x.bucket : `${x.bucket} ${x.timeZone}`),
            },
            { header: 'OFFERED', get: (x) => x.offered, align: 'right' },
            { header: 'ANSWERED', get: (x) => x.answered, align: 'right' },
            { header: 'ABANDONED', get: (x) => x.abandoned, align: 'right' },
            {
              header: 'SL',
              get: (x) => (x.serviceLevel === null ? '-' : `${Math.round(x.serviceLevel * 100)}%`),
              align: 'right',
            },
            { header: 'AVG WAIT', get: (x) => ms(x.avgWaitMs), align: 'right' },
            { header: 'P90 WAIT', get: (x) => ms(x.p90WaitMs), align: 'right' },
            { header: 'AVG TALK', get: (x) => ms(x.avgTalkMs), align: 'right' },
            { header: 'CALL BACK', get: (x) => x.abandonedCallers.map((c) => c.callerNumber) },
          ]),
        )
      },
    )
  stats
    .command('agents')
    .description('per agent: offered, answered, missed, talk and wrap-up time')
    .option('--from <time>', 'start (default 7 days ago)')
    .option('--to <time>', 'end (default now)')
    .option('--csv', 'CSV output')
    .action(async (_o, cmd: Command) => {
      const o = statsOpts(cmd)
      const api = client(cmd)
      const params = new URLSearchParams({
        ...(await statsTimes(cmd, api, o)),
        ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}),
      })
      if (o.csv) {
        params.set('format', 'csv')
        out.out(await api.request<string>('GET', `/api/v1/stats/agents?${params}`, undefined, { text: true }))
        return
      }
      const r = await api.request<Items<AgentStatsRow>>('GET', `/api/v1/stats/agents?${params}`)
      show(cmd, r.items, () =>
        table(r.items, [
          { header: 'AGENT', get: (x) => x.extension ?? x.agentId },
          { header: 'NAME', get: (x) => x.name },
          { header: 'OFFERED', get: (x) => x.offered, align: 'right' },
          { header: 'ANSWERED', get: (x) => x.answered, align: 'right' },
          { header: 'MISSED', get: (x) => x.missed, align: 'right' },
          { header: 'TALK', get: (x) => duration(x.talkMs / 1000), align: 'right' },
          { header: 'WRAP-UP', get: (x) => duration(x.wrapUpMs / 1000), align: 'right' },
        ]),
      )
    })
  stats
    .command('ewt <queue>')
    .description('accuracy of the announced wait estimates against the actual waits')
    .option('--from <time>', 'start (default 30 days ago)')
    .option('--to <time>', 'end (default now)')
    .action(async (ref: string, _o, cmd: Command) => {
      const o = statsOpts(cmd)
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const params = new URLSearchParams(await statsTimes(cmd, api, o, q))
      const r = await api.request<{
        n: number
        maeSeconds: number | null
        biasSeconds: number | null
        within60Share: number | null
      }>('GET', `/api/v1/queues/${q.id}/stats/ewt?${params}`)
      show(cmd, r, () =>
        r.n === 0
          ? `queue ${q.number}: no announced estimate with a known outcome yet`
          : `queue ${q.number}: ${plural(r.n, 'announcement')}; mean absolute error ${duration(r.maeSeconds)}; bias ${r.biasSeconds! >= 0 ? '+' : '-'}${duration(Math.abs(r.biasSeconds!))}; within ±60 s: ${Math.round((r.within60Share ?? 0) * 100)}%`,
      )
    })
  const report = program.command('report').description('reports')
  report
    .command('licences')
    .description('users who held a licence in a month (a member of at least one queue at any time in it)')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('--csv', 'CSV output')
    .action(async (o: { month: string; csv?: boolean }, cmd: Command) => {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month)) throw new CliError(`--month: expected YYYY-MM, got '${o.month}'`)
      const api = client(cmd)
      const params = new URLSearchParams({ month: o.month, ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      if (o.csv) {
        params.set('format', 'csv')
        out.out(await api.request<string>('GET', `/api/v1/reports/licences?${params}`, undefined, { text: true }))
        return
      }
      const r = await api.request<Items<LicenceRow>>('GET', `/api/v1/reports/licences?${params}`)
      show(
        cmd,
        r.items,
        () =>
          `${table(r.items, [
            { header: 'TENANT', get: (x) => x.tenant },
            { header: 'AGENT', get: (x) => x.extension },
            { header: 'NAME', get: (x) => x.name },
            { header: 'PLAN', get: (x) => x.plan },
            { header: 'MEMBER SINCE', get: (x) => instant(x.firstMemberAt) },
            { header: 'QUEUES', get: (x) => x.queues, align: 'right' },
          ])}\n${r.items.length} licence(s) in ${o.month}`,
      )
    })
}
