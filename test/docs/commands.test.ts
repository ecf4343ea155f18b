/**
 * Every command in the docs runs (issue 10, item 5). Each `koplus …` (or `node bin/koplus.js …`) line in a fenced
 * code block of README.md and docs/*.md is run, in document order, by `sh -c` against `koplus daemon --simulate`
 * (in-process, a fresh demo per document, no generated traffic), and must exit 0 — or N where its comment starts
 * `# exit N`. The marks documented at the top of docs/cli.md: `<name>` placeholders (only those in PLACEHOLDERS
 * below), `# exit N`, and `# not run: <why>`.
 *
 * Time: the daemon's clock and every CLI process (libfaketime, Debian package `faketime`) run at the same fixed
 * instant, Wednesday 2026-11-25 10:00 Europe/Stockholm, so `--from 13:00 --until 15:00` and friends mean the same
 * whatever the date, time of day or zone of the host.
 *
 * `koplus daemon …` lines are started as processes of their own (own data directory, API on port 0), must report
 * that they run, and must stop with exit 0 on SIGTERM.
 *
 * Needs the build (npm run build); KOPLUS_BIN overrides the executable.
 */
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pino from 'pino'
import { runDaemonCommand, type RunningDaemon } from '../../src/daemon/index.js'
import { startDaemonApi } from '../../src/api/daemon-api.js'
import { RealClock } from '../../src/util/clock.js'
import { faketimeEnv, libfaketime } from '../helpers/faketime.js'

t.setTimeout(600_000)
const ROOT = resolve('.')
const BIN = process.env.KOPLUS_BIN ?? join(ROOT, 'bin/koplus.js')
const built = existsSync(resolve(BIN, '../../dist/src/cli/main.js'))
const PASSWORD = 'correct horse battery staple'
/** Wednesday 2026-11-25 10:00 in Europe/Stockholm (09:00 UTC). */
const FIXED = Date.UTC(2026, 10, 25, 9, 0, 0)

export interface DocCommand {
  file: string
  line: number
  /** The line as written (without its comment). */
  text: string
  comment: string
  expectedCode: number
  skip?: string
}

/** The position of a `#` that starts a comment (outside quotes, after a blank), or -1. */
function commentStart(line: string): number {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === "'" || c === '"') quote = c
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return i
  }
  return -1
}

const COMMAND =
  /^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:koplus|node bin\/koplus\.js)(?:\s|$)|\|\s*(?:koplus|node bin\/koplus\.js)\s/

/** The `koplus` lines of fenced code blocks in a Markdown text. */
export function extractCommands(file: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = []
  let fence: string | undefined
  markdown.split('\n').forEach((raw, i) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(raw)
    if (m) {
      if (fence === undefined) fence = m[1]
      else if (m[1].startsWith(fence)) fence = undefined
      return
    }
    if (fence === undefined) return
    let line = raw.trim().replace(/^\$\s+/, '')
    if (!COMMAND.test(line)) return
    const hash = commentStart(line)
    const comment = hash >= 0 ? line.slice(hash + 1).trim() : ''
    if (hash >= 0) line = line.slice(0, hash).trim()
    const exit = /^exit (\d+)\b/.exec(comment)
    const notRun = /^not run:\s*(.*)$/.exec(comment)
    out.push({
      file,
      line: i + 1,
      text: line,
      comment,
      expectedCode: exit ? Number(exit[1]) : 0,
      ...(notRun ? { skip: notRun[1] } : {}),
    })
  })
  return out
}

t.test('extraction and marks', async (t) => {
  const md = [
    'text koplus status outside a fence',
    '```sh',
    '$ koplus queue list   # a comment',
    "koplus queue set 5000 name='a # b'",
    'KOPLUS_PASSWORD=<password> koplus account add admin --role operator',
    'printf \'%s\\n\' "$PW" | koplus account add anna --role agent --password-stdin',
    'koplus agent wrapup-end 1001   # exit 1 unless in wrap-up',
    'koplus daemon --simulate   # not run: runs forever',
    'npm ci && npm start',
    'node bin/koplus.js doctor',
    '```',
    '```',
    'ok    connection   koplus at 127.0.0.1',
    '```',
  ].join('\n')
  const c = extractCommands('x.md', md)
  t.same(
    c.map((x) => x.text),
    [
      'koplus queue list',
      "koplus queue set 5000 name='a # b'",
      'KOPLUS_PASSWORD=<password> koplus account add admin --role operator',
      'printf \'%s\\n\' "$PW" | koplus account add anna --role agent --password-stdin',
      'koplus agent wrapup-end 1001',
      'koplus daemon --simulate',
      'node bin/koplus.js doctor',
    ],
  )
  t.same(
    c.map((x) => x.line),
    [3, 4, 5, 6, 7, 8, 10],
  )
  t.equal(c[4].expectedCode, 1)
  t.equal(c[5].skip, 'runs forever')
  t.equal(c[0].expectedCode, 0)
})

/** `koplus` on the PATH of the commands: the build under test. */
function binDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-docs-bin-'))
  const path = join(dir, 'koplus')
  writeFileSync(path, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`)
  chmodSync(path, 0o755)
  return dir
}

const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`

interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((done) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      done({ code, signal, stdout, stderr })
    })
  })
}

/** A `koplus daemon …` line: start it (own data dir), wait until it says it runs, SIGTERM, its exit status. */
function runDaemonLine(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Result & { running: boolean }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let running = false
    const stop = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      if (!running && /koplus daemon running; control API at http:\/\/127\.0\.0\.1:\d+/.test(stderr)) {
        running = true
        child.kill('SIGTERM')
      }
    })
    child.on('exit', (code, signal) => {
      clearTimeout(stop)
      done({ code, signal, stdout, stderr, running })
    })
  })
}

/** The daemon's clock: the host's time moved by the same whole seconds as the CLI's libfaketime offset. */
class OffsetClock extends RealClock {
  constructor(readonly offsetMs: number) {
    super()
  }
  override now(): number {
    return Date.now() + this.offsetMs
  }
}

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
]
const faketime = libfaketime()

t.test(
  'every koplus command in README.md and docs/*.md runs',
  { skip: !built && `no build at ${BIN} (run npm run build first)` },
  async (t) => {
    t.ok(faketime, "libfaketime is installed (Debian package 'faketime'): the commands run at a fixed date and time")
    if (!faketime) return
    const all = DOCS.map((file) => ({ file, commands: extractCommands(file, readFileSync(join(ROOT, file), 'utf8')) }))
    const total = all.reduce((n, d) => n + d.commands.length, 0)
    t.ok(total >= 60, `found ${total} commands in ${DOCS.join(', ')}`)
    t.ok(
      all.find((d) => d.file === 'docs/cli.md')!.commands.length >= 50,
      'docs/cli.md has its examples in code blocks',
    )

    const bin = binDir()
    const offsetSec = Math.round((FIXED - Date.now()) / 1000)
    const root = mkdtempSync(join(tmpdir(), 'koplus-docs-'))
    t.teardown(() => {
      rmSync(root, { recursive: true, force: true })
      rmSync(bin, { recursive: true, force: true })
    })

    for (const { file, commands } of all) {
      if (commands.length === 0) continue
      await t.test(file, async (t) => {
        const dir = join(root, file.replace(/[/.]/g, '_'))
        const cwd = join(dir, 'cwd')
        mkdirSync(cwd, { recursive: true })
        // files the examples name
        writeFileSync(join(cwd, 'pw.txt'), PASSWORD + '\n')
        writeFileSync(join(cwd, 'koplus.json'), JSON.stringify({ log: { level: 'warn' } }) + '\n')
        writeFileSync(
          join(cwd, 'schedule.json'),
          JSON.stringify(
            {
              timeZone: 'Europe/Stockholm',
              calendarIds: [],
              rules: [
                {
                  id: 'weekdays',
                  kind: 'open',
                  rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
                  start: '08:00',
                  durationMinutes: 540,
                },
              ],
            },
            null,
            2,
          ),
        )
        execFileSync('sox', ['-n', '-r', '8000', '-c', '1', join(cwd, 'welcome.wav'), 'synth', '0.5', 'sine', '440'])

        const daemonEnv = {
          KOPLUS_DATABASE_PATH: join(dir, 'data', 'koplus.sqlite'),
          KOPLUS_API_PORT: '0',
          KOPLUS_RECORDINGS_DIR: join(dir, 'data', 'recordings'),
          KOPLUS_LOG_LEVEL: 'warn',
        }
        const running: RunningDaemon = await runDaemonCommand({
          simulate: true,
          fresh: true,
          simulation: { traffic: false, clock: new OffsetClock(offsetSec * 1000) },
          env: daemonEnv,
          handleSignals: false,
          logger: pino({ level: 'silent' }),
          startApi: (d, c, l) => startDaemonApi(d, c, l),
        })
        t.teardown(() => running.stop())
        const store = running.daemon.store
        const env: NodeJS.ProcessEnv = {
          PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: dir,
          TZ: 'Europe/Stockholm',
          ...faketimeEnv(faketime, offsetSec * 1000),
          PW: PASSWORD,
          ...daemonEnv,
        }
        /** Values for the `<name>` placeholders the docs may use (docs/cli.md, "How to read the examples"). */
        const PLACEHOLDERS: Record<string, () => string | undefined | Promise<string | undefined>> = {
          password: () => PASSWORD,
          'closure-id': async () => (await store.closures.list(undefined, 1000)).find((c) => c.reopenedAt == null)?.id,
          'prompt-id': async () => (await store.prompts.list()).at(-1)?.id,
        }

        for (const c of commands) {
          const where = `${c.file}:${c.line}: ${c.text}`
          if (c.skip !== undefined) {
            t.ok(c.skip.length > 0, `${where} is not run, and says why: ${c.skip}`)
            continue
          }
          let unknown: string | undefined
          const values = new Map<string, string | undefined>()
          for (const [, name] of c.text.matchAll(/<([a-z][a-z0-9-]*)>/g)) values.set(name, await PLACEHOLDERS[name]?.())
          const command = c.text
            .replaceAll('node bin/koplus.js', 'koplus')
            .replace(/<([a-z][a-z0-9-]*)>/g, (_m, name: string) => {
              const value = values.get(name)
              if (value === undefined) {
                unknown ??= name
                return `<${name}>`
              }
              return shellQuote(value)
            })
          if (unknown !== undefined) {
            t.fail(
              `${where}: placeholder <${unknown}> is not one the docs may use (${Object.keys(PLACEHOLDERS).join(', ')}), or has no value at this point`,
            )
            continue
          }
          const argv = /^koplus\s+(.*)$/.exec(command)?.[1]?.split(/\s+/)
          if (argv && argv[0] === 'daemon') {
            const own = join(dir, `daemon-line-${c.line}`)
            const r = await runDaemonLine(argv, cwd, {
              ...env,
              KOPLUS_DATABASE_PATH: join(own, 'koplus.sqlite'),
              KOPLUS_RECORDINGS_DIR: join(own, 'recordings'),
              KOPLUS_FREESWITCH_PORT: '1',
            })
            t.ok(r.running, `${where}: reports that it runs\n${r.stderr}`)
            t.equal(r.code, 0, `${where}: stops with exit 0 on SIGTERM\n${r.stderr}`)
            continue
          }
          const r = await sh(command, cwd, env)
          t.equal(r.code, c.expectedCode, `${where}\n${r.stderr}${r.code === 0 ? '' : r.stdout}`)
        }
      })
    }
  },
)
