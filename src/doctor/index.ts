/**
 * `koplus doctor`: checks, against the configured FreeSWITCH, what koplus needs — one line per check, ok or the
 * reason — and fails (non-zero exit in the CLI) when any check fails.
 *
 *  1. connection and auth   — connect to mod_event_socket and authenticate (EslClient, no reconnect)
 *  2. version               — `api version` (mod_commands version_function)
 *  3. modules               — `api module_exists <mod>` for each module koplus uses; mod_commands'
 *                             module_exists_function answers "true" or "false" (src/mod/applications/mod_commands/mod_commands.c)
 *  4. events                — `bgapi status`: its result comes back as a BACKGROUND_JOB event, so events arrive
 *  5. dialplan              — `bgapi originate {…}loopback/koplus-check/<context> &park()`: the -b leg runs our
 *                             dialplan, which for koplus-check sets koplus_check=true and parks it; we wait for
 *                             CHANNEL_PARK with variable_koplus_check=true, then kill both legs (uuid_kill)
 *  6. default_password      — `api global_getvar default_password`: while it is 1234 the vanilla default context's
 *                             "global" extension sleeps 10 s before routing a call (warning)
 *  7. queue <n>, feature <c> — the same test call to every configured queue number and feature code in every
 *                             context: passes only if the -b leg parks with koplus_queue / koplus_feature; else it
 *                             names what ran instead (CHANNEL_EXECUTE of the -b leg: "answer, sleep, ivr"). A queue
 *                             number that is also a stock extension of the vanilla dialplan is a warning.
 *  8. sounds                — the prompt files (sounds/sv, sounds/en) are readable WAVs on this host
 *  9. tenants               — (with databasePath) no tenant with queues or agents is left on the placeholder domain
 *                             'default' once there are several tenants (its calls would stop)
 */
import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { access, open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { EslClient } from '../freeswitch/esl/client.js'
import { EslAuthError } from '../freeswitch/esl/errors.js'
import type { EslEvent } from '../freeswitch/esl/event.js'
import { packageRoot } from '../config/paths.js'
import { stockExtensionsCatching } from './vanilla-dialplan.js'
import Database from 'better-sqlite3'
import { PgSqlDb, redactUrl } from '../store/pg/pg-db.js'
import { placeholderDomainWarning, TENANT_USAGE_SQL, type TenantUse } from '../store/tenants.js'

/** Modules koplus relies on, and why (shown when one is missing). */
export const REQUIRED_MODULES: readonly { name: string; why: string }[] = [
  { name: 'mod_event_socket', why: 'the Event Socket koplus controls FreeSWITCH through' },
  { name: 'mod_commands', why: 'uuid_* and originate api commands' },
  { name: 'mod_dptools', why: 'answer, playback, park, bridge, record' },
  { name: 'mod_dialplan_xml', why: 'the dialplan that routes queue numbers to koplus' },
  { name: 'mod_sofia', why: 'SIP: callers and agent phones' },
  { name: 'mod_loopback', why: 'the doctor dialplan check and local agent legs' },
  { name: 'mod_sndfile', why: 'playing WAV prompts' },
  { name: 'mod_tone_stream', why: 'tone_stream:// music on hold and beeps' },
]

export interface DoctorOptions {
  host: string
  port: number
  password: string
  /** Dialplan context our dialplan is included in (default 'default'). */
  context?: string
  /** Contexts calls arrive in, each tested (default [context]). Feature codes are not tested in 'public'. */
  contexts?: readonly string[]
  /** Queue numbers to test (with a name for the messages). */
  queues?: readonly { number: string; name?: string }[]
  /** Feature codes to test (e.g. the config's featureCodes: *71 …). */
  featureCodes?: readonly string[]
  /** How long to watch a call that another extension caught before reporting what it ran (default 2500 ms). */
  settleMs?: number
  /** Directory of the built-in prompts (default <package root>/sounds). */
  soundsDir?: string | null
  /** Wait per check (default 5000 ms). */
  timeoutMs?: number
  modules?: readonly { name: string; why: string }[]
  logger?: Logger
  /** koplus's SQLite file, for the tenants check (read only; the check is left out without it). */
  databasePath?: string
  /** database.url: the tenants check reads PostgreSQL instead of databasePath (read only). */
  databaseUrl?: string | null
}

export interface CheckResult {
  name: string
  ok: boolean
  /** Passed, but something the operator should know (shown as WARN; does not fail the doctor). */
  warning?: boolean
  /** What was found (ok) or why it failed. */
  detail: string
}

export interface DoctorReport {
  ok: boolean
  checks: CheckResult[]
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

const firstLine = (s: string): string =>
  s
    .split('\n')
    .find((l) => l.trim())
    ?.trim() ?? ''

/** Run every check; never throws. */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = opts.timeoutMs ?? 5000
  const context = opts.context ?? 'default'
  const checks: CheckResult[] = []
  const add = (name: string, ok: boolean, detail: string): void => {
    checks.push({ name, ok, detail })
  }
  const warn = (name: string, detail: string): void => {
    checks.push({ name, ok: true, warning: true, detail })
  }
  const address = `${opts.host}:${opts.port}`
  const client = checkClient(opts, timeoutMs)
  try {
    // 1. connection and auth
    try {
      await client.connect()
      add('connection', true, `connected to ${address} and authenticated`)
    } catch (err) {
      const reason =
        err instanceof EslAuthError
          ? `authentication failed at ${address}: wrong password? (freeswitch.password must match event_socket.conf.xml)`
          : `cannot connect to ${address}: ${err instanceof Error ? err.message : String(err)}`
      add('connection', false, reason)
      for (const n of ['version', 'modules', 'events', 'dialplan'])
        add(n, false, 'not checked: no connection to FreeSWITCH')
      await checkSounds(opts.soundsDir, add)
      if (opts.databasePath !== undefined || opts.databaseUrl) add('tenants', ...(await checkTenants(opts)))
      return { ok: false, checks }
    }

    // 2. version
    try {
      const v = firstLine(await client.api('version'))
      const m = /FreeSWITCH Version (\d+)\.(\d+)\.(\d+)/.exec(v)
      if (!m) add('version', false, `unexpected answer to 'api version': ${v || '(empty)'}`)
      else if (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 10))
        add('version', false, `${v}: koplus needs FreeSWITCH 1.10 or newer`)
      else add('version', true, v)
    } catch (err) {
      add('version', false, `api version failed: ${(err as Error).message}`)
    }

    // 3. modules
    for (const mod of opts.modules ?? REQUIRED_MODULES) {
      try {
        const answer = (await client.api(`module_exists ${mod.name}`)).trim()
        if (answer === 'true') add(`module ${mod.name}`, true, 'loaded')
        else if (answer === 'false')
          add(
            `module ${mod.name}`,
            false,
            `not loaded (needed for ${mod.why}); add it to modules.conf.xml and 'load ${mod.name}'`,
          )
        else
          add(
            `module ${mod.name}`,
            false,
            `cannot tell: 'api module_exists ${mod.name}' answered ${JSON.stringify(firstLine(answer))}`,
          )
      } catch (err) {
        add(`module ${mod.name}`, false, `api module_exists failed: ${(err as Error).message}`)
      }
    }

    // 4. events
    try {
      const job = await withTimeout(client.bgapi('status', { timeoutMs }), timeoutMs, 'bgapi status')
      const body = (job as { body?: string }).body ?? ''
      add('events', true, `BACKGROUND_JOB event received (${firstLine(body).slice(0, 60)})`)
    } catch (err) {
      add(
        'events',
        false,
        `no event arrived: ${(err as Error).message} (check the event subscription / ACL of mod_event_socket)`,
      )
    }

    // 5. dialplan
    const settleMs = opts.settleMs ?? 2500
    const contexts = opts.contexts?.length ? opts.contexts : [context]
    for (const ctx of contexts) {
      const r = await testCall(
        client,
        'koplus-check',
        ctx,
        { name: 'koplus_check', value: 'true' },
        timeoutMs,
        settleMs,
      )
      add(
        contexts.length > 1 ? `dialplan ${ctx}` : 'dialplan',
        r.ok,
        r.ok
          ? `loopback/koplus-check/${ctx} reached park with koplus_check=true (tenant ${r.tenant ?? '?'})`
          : `loopback/koplus-check/${ctx}: ${r.detail}`,
      )
    }

    // 6. default_password
    let defaultPassword = ''
    try {
      defaultPassword = (await client.api('global_getvar default_password')).trim()
    } catch (err) {
      add('default_password', false, `api global_getvar failed: ${(err as Error).message}`)
    }
    if (defaultPassword === '1234') {
      warn(
        'default_password',
        "default_password is still 1234 (vars.xml): the vanilla default context's 'global' extension logs a warning and sleeps 10 s before routing every call it sees; change it in vars.xml and reloadxml",
      )
    } else if (!checks.some((c) => c.name === 'default_password'))
      add('default_password', true, defaultPassword ? 'changed from the vanilla 1234' : 'not set')

    // 7. every queue number and feature code, in every context
    for (const q of opts.queues ?? []) {
      for (const ctx of contexts) {
        const name = contexts.length > 1 ? `queue ${q.number} (${ctx})` : `queue ${q.number}`
        const r = await testCall(
          client,
          q.number,
          ctx,
          { name: 'koplus_queue', value: q.number },
          timeoutMs,
          settleMs,
          defaultPassword === '1234',
        )
        add(
          name,
          r.ok,
          r.ok
            ? `reaches koplus in context '${ctx}' (parked with koplus_queue=${q.number}${q.name ? `, queue ${q.name}` : ''})`
            : r.detail,
        )
      }
      const stock = stockExtensionsCatching(q.number)
      if (stock.length) {
        const e = stock[0]
        warn(
          `overlap ${q.number}`,
          `queue ${q.number} is also the stock extension '${e.name}' (${e.expression}) of FreeSWITCH's vanilla dialplan/default.xml (${e.actions.map(([a]) => a).join(', ')}): koplus must come first (the jump at the top of the context), and that stock extension is then unreachable`,
        )
      }
    }
    for (const code of opts.featureCodes ?? []) {
      for (const ctx of contexts.filter((c) => c !== 'public')) {
        const r = await testCall(
          client,
          code,
          ctx,
          { name: 'koplus_feature', value: code },
          timeoutMs,
          settleMs,
          defaultPassword === '1234',
        )
        add(
          contexts.length > 1 ? `feature ${code} (${ctx})` : `feature ${code}`,
          r.ok,
          r.ok ? `reaches koplus in context '${ctx}' (parked with koplus_feature=${code})` : r.detail,
        )
      }
    }
  } finally {
    await client.close().catch(() => undefined)
  }
  await checkSounds(opts.soundsDir, add)
  if (opts.databasePath !== undefined || opts.databaseUrl) add('tenants', ...(await checkTenants(opts)))
  return { ok: checks.every((c) => c.ok), checks }
}

/** The tenants check's verdict on the tenants' use (shared by both stores). */
function tenantsVerdict(usage: readonly TenantUse[]): [boolean, string] {
  const warning = placeholderDomainWarning(usage)
  return warning
    ? [false, warning]
    : [true, `${usage.length} tenant(s): ${usage.map((t) => `${t.id} (${t.domain})`).join(', ') || 'none yet'}`]
}

/**
 * No tenant with queues or agents left on the placeholder domain in a multi-tenant install (read only): in
 * PostgreSQL when database.url is set (the password never appears in the answer), else in the SQLite file.
 */
async function checkTenants(opts: Pick<DoctorOptions, 'databasePath' | 'databaseUrl'>): Promise<[boolean, string]> {
  if (opts.databaseUrl) {
    const db = new PgSqlDb(opts.databaseUrl, { max: 1 })
    try {
      return tenantsVerdict(await db.all<TenantUse>(TENANT_USAGE_SQL))
    } catch (err) {
      return [false, `cannot read the tenants from ${redactUrl(opts.databaseUrl)}: ${(err as Error).message}`]
    } finally {
      await db.close().catch(() => undefined)
    }
  }
  return checkTenantsFile(opts.databasePath ?? ':memory:')
}

function checkTenantsFile(path: string): [boolean, string] {
  if (path === ':memory:') return [true, 'not checked: in-memory database']
  let db: Database.Database | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    return tenantsVerdict(db.prepare(TENANT_USAGE_SQL).all() as TenantUse[])
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'SQLITE_CANTOPEN') return [true, `no database at ${path} yet`]
    return [false, `cannot read the tenants from ${path}: ${e.message}`]
  } finally {
    db?.close()
  }
}

/** A one-shot ESL connection for the doctor's checks and test calls (no reconnect; the events the checks watch). */
function checkClient(
  opts: { host: string; port: number; password: string; logger?: Logger },
  timeoutMs: number,
): EslClient {
  const client = new EslClient({
    host: opts.host,
    port: opts.port,
    password: opts.password,
    reconnect: false,
    connectTimeoutMs: timeoutMs,
    commandTimeoutMs: timeoutMs,
    events: ['CHANNEL_PARK', 'CHANNEL_HANGUP', 'CHANNEL_EXECUTE'],
    logger: opts.logger ?? pino({ level: 'silent' }),
  })
  client.on('disconnected', () => undefined)
  return client
}

/**
 * The doctor's routing test for one queue number, as the API runs it when a queue is created or renumbered: a test
 * call per context; one warning per context the number does not reach koplus in (what ran instead), or one saying
 * the routing could not be tested. Never throws; [] when the number reaches koplus everywhere.
 */
export async function checkQueueRouting(opts: {
  host: string
  port: number
  password: string
  number: string
  contexts?: readonly string[]
  timeoutMs?: number
  settleMs?: number
  logger?: Logger
}): Promise<string[]> {
  const timeoutMs = opts.timeoutMs ?? 3000
  const client = checkClient(opts, timeoutMs)
  try {
    await client.connect()
  } catch (err) {
    await client.close().catch(() => undefined)
    return [
      `the routing of ${opts.number} was not tested: cannot reach FreeSWITCH at ${opts.host}:${opts.port} (${(err as Error).message}); run 'koplus doctor' later`,
    ]
  }
  const out: string[] = []
  try {
    for (const ctx of opts.contexts ?? ['default']) {
      const r = await testCall(
        client,
        opts.number,
        ctx,
        { name: 'koplus_queue', value: opts.number },
        timeoutMs,
        opts.settleMs ?? 1000,
      )
      if (!r.ok) out.push(`queue ${opts.number} in context '${ctx}': ${r.detail}`)
    }
  } finally {
    await client.close().catch(() => undefined)
  }
  return out
}

/** Applications koplus's own dialplan (and the vanilla bookkeeping around it) runs; anything else means "caught". */
const OURS = new Set(['set', 'export', 'unset', 'hash', 'log', 'info', 'execute_extension', 'park'])

interface CallOutcome {
  ok: boolean
  detail: string
  tenant?: string
}

/**
 * Originate `loopback/<dest>/<context>` and watch its -b leg run the dialplan: ok when it parks with
 * `want.name=want.value`. Otherwise the outcome names what ran instead (the -b leg's CHANNEL_EXECUTEs), watched for
 * `settleMs` after the first foreign application, or why it failed. Both legs are killed afterwards.
 */
async function testCall(
  client: EslClient,
  dest: string,
  context: string,
  want: { name: string; value: string },
  timeoutMs: number,
  settleMs: number,
  defaultPassword1234 = false,
): Promise<CallOutcome> {
  const notRouted =
    want.name === 'koplus_check'
      ? `the koplus dialplan is not installed in context '${context}' (see conf/freeswitch and docs/install-freeswitch.md)`
      : `nothing in context '${context}' sends ${dest} to koplus: add it to the ${want.name === 'koplus_queue' ? 'koplus-queue' : 'koplus-feature'} extension of dialplan/koplus.xml (and put the koplus jump first in the context)`
  const aLeg = randomUUID()
  const legs = new Set<string>()
  const ran: string[] = []
  let sleptLong = false
  let settle: NodeJS.Timeout | undefined
  let resolveOutcome!: (r: CallOutcome) => void
  const outcome = new Promise<CallOutcome>((r) => (resolveOutcome = r))
  const hint = `put the koplus jump first in context '${context}' (scripts/install-dialplan.sh; docs/install-freeswitch.md)`
  const caught = (): string => {
    const why =
      sleptLong && defaultPassword1234
        ? " (the 10 s sleep is the vanilla 'global' extension's: default_password is still 1234)"
        : ''
    return `caught before koplus, the call ran ${ran.join(', ')}${why}; ${hint}`
  }
  const onEvent = (ev: EslEvent): void => {
    const mine = ev.uuid === aLeg || ev.get('Other-Leg-Unique-ID') === aLeg || ev.variable('koplus_check_id') === aLeg
    if (!mine || !ev.uuid || ev.uuid === aLeg) return
    legs.add(ev.uuid)
    if (ev.name === 'CHANNEL_EXECUTE') {
      const app = ev.get('Application') ?? '?'
      if (OURS.has(app) || app === 'hangup') return
      ran.push(app)
      if (app === 'sleep' && Number(ev.get('Application-Data')) >= 10000) sleptLong = true
      settle ??= setTimeout(() => resolveOutcome({ ok: false, detail: caught() }), settleMs)
    } else if (ev.name === 'CHANNEL_PARK') {
      if (ev.variable(want.name) === want.value)
        resolveOutcome({ ok: true, detail: 'parked', tenant: ev.variable('koplus_tenant') })
      else
        resolveOutcome({
          ok: false,
          detail: `parked without ${want.name}=${want.value}${ran.length ? ` after ${ran.join(', ')}` : ''}: another extension handled it; ${hint}`,
        })
    } else if (ev.name === 'CHANNEL_HANGUP') {
      const cause = ev.get('Hangup-Cause') ?? 'unknown cause'
      resolveOutcome({
        ok: false,
        detail: ran.length
          ? `${caught()} (hung up: ${cause})`
          : `hung up (${cause}) before reaching park: ${notRouted}`,
      })
    }
  }
  client.on('event', onEvent)
  try {
    // bgapi: the originate itself waits for an answer that never comes; the job result tells of early failures.
    // koplus_check_id travels to the -b leg (mod_loopback copies the a-leg's variables).
    const job = client.bgapi(
      `originate {origination_uuid=${aLeg},koplus_check_id=${aLeg},originate_timeout=${Math.ceil(timeoutMs / 1000) + 1},ignore_early_media=true}loopback/${dest}/${context} &park()`,
    )
    job.then(
      (r) => {
        const body = (r as { body?: string }).body ?? ''
        if (body.startsWith('-ERR') && !ran.length)
          resolveOutcome({
            ok: false,
            detail: `originate loopback/${dest}/${context} failed: ${firstLine(body)} — is the koplus dialplan installed in context '${context}'?`,
          })
      },
      () => undefined,
    )
    return await withTimeout(outcome, timeoutMs, `waiting for loopback/${dest}/${context} to be parked`).catch(
      (err: Error) => ({
        ok: false,
        detail: ran.length ? caught() : `${err.message}: ${notRouted}`,
      }),
    )
  } finally {
    clearTimeout(settle)
    client.off('event', onEvent)
    for (const uuid of [...legs, aLeg]) await client.api(`uuid_kill ${uuid}`).catch(() => undefined)
  }
}

/** The prompts directory has sv/ and en/ with readable WAV files. */
async function checkSounds(
  dir: string | null | undefined,
  add: (name: string, ok: boolean, detail: string) => void,
): Promise<void> {
  const root = dir ?? join(packageRoot(), 'sounds')
  const problems: string[] = []
  let files = 0
  for (const lang of ['sv', 'en']) {
    const d = join(root, lang)
    let names: string[]
    try {
      names = await listWavs(d)
    } catch (err) {
      problems.push(`${d}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message}`)
      continue
    }
    if (names.length === 0) problems.push(`${d}: no .wav files`)
    for (const n of names) {
      try {
        await access(n, constants.R_OK)
        const fh = await open(n, 'r')
        const head = Buffer.alloc(12)
        await fh.read(head, 0, 12, 0)
        await fh.close()
        if (head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE')
          problems.push(`${n}: not a WAV file`)
        else files++
      } catch (err) {
        problems.push(`${n}: ${(err as Error).message}`)
      }
    }
  }
  if (problems.length)
    add(
      'sounds',
      false,
      `${problems.length} problem(s): ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`,
    )
  else
    add('sounds', true, `${files} prompt files readable under ${root} (this host; FreeSWITCH must see the same path)`)
}

async function listWavs(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...(await listWavs(p)))
    else if (e.name.endsWith('.wav')) out.push(p)
  }
  return out
}

/** One line per check: 'ok    name  detail' / 'WARN  name  detail' / 'FAIL  name  reason'. */
export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length))
  const lines = report.checks.map(
    (c) => `${c.ok ? (c.warning ? 'WARN' : 'ok  ') : 'FAIL'}  ${c.name.padEnd(width)}  ${c.detail}`,
  )
  const failed = report.checks.filter((c) => !c.ok).length
  const warned = report.checks.filter((c) => c.warning).length
  const warnings = warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''
  lines.push(
    failed
      ? `${failed} of ${report.checks.length} checks failed${warnings}`
      : `all ${report.checks.length} checks passed${warnings}`,
  )
  return lines.join('\n')
}
