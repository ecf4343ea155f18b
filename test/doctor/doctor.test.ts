/**
 * koplus doctor against the FreeSWITCH simulator: all checks pass; wrong password; dialplan missing; a module
 * missing; no sound files.
 * The simulator answers `api module_exists <mod>` as mod_commands' module_exists_function does ("true"/"false").
 */
import t from 'tap'
import net from 'node:net'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { formatDoctor, REQUIRED_MODULES, runDoctor } from '../../src/doctor/index.js'

function soundsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-doctor-sounds-'))
  const wav = Buffer.alloc(44)
  wav.write('RIFF', 0)
  wav.write('WAVE', 8)
  for (const lang of ['sv', 'en']) {
    mkdirSync(join(dir, lang))
    writeFileSync(join(dir, lang, 'welcome.wav'), wav)
  }
  return dir
}

async function setup(
  t: { teardown(fn: () => unknown): void },
  opts: {
    password?: string
    dialplanMissing?: boolean
    loaded?: string[]
    vanilla?: 'jump' | 'end' | 'absent'
    globals?: Record<string, string>
  } = {},
) {
  const sim = new FreeSwitchSimulator({
    password: 'ClueCon',
    dialplan: opts.dialplanMissing
      ? { routes: [{ match: 'koplus-check', apps: () => [{ app: 'hangup', arg: 'NO_ROUTE_DESTINATION', loops: 1 }] }] }
      : opts.vanilla
        ? { vanilla: opts.vanilla, globals: opts.globals }
        : undefined,
  })
  if (opts.loaded) {
    for (const m of [...sim.loadedModules]) if (!opts.loaded.includes(m)) sim.loadedModules.delete(m)
  }
  const port = await sim.listen(0)
  t.teardown(() => sim.close())
  return { sim, port }
}

t.test('all checks pass against the simulator', async (t) => {
  const { port, sim } = await setup(t)
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    soundsDir: soundsDir(),
    timeoutMs: 3000,
  })
  t.ok(report.ok, formatDoctor(report))
  t.same(
    report.checks.map((c) => c.name),
    [
      'connection',
      'version',
      ...REQUIRED_MODULES.map((m) => `module ${m.name}`),
      'events',
      'dialplan',
      'default_password',
      'sounds',
    ],
  )
  t.match(report.checks.find((c) => c.name === 'version')!.detail, /FreeSWITCH Version 1\.10\.12/)
  t.match(report.checks.find((c) => c.name === 'dialplan')!.detail, /koplus_check=true/)
  // the check call was cleaned up
  await sim.waitFor(() => sim.channels().every((c) => c.hungUp), 2000, 'check channels hung up')
  const text = formatDoctor(report)
  t.match(text, /^ok {4}connection/m)
  t.match(text, /all \d+ checks passed$/)
})

t.test('wrong password: the connection check says so, the rest are not checked, failure', async (t) => {
  const { port } = await setup(t)
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'wrong',
    soundsDir: soundsDir(),
    timeoutMs: 2000,
  })
  t.notOk(report.ok)
  const conn = report.checks[0]
  t.equal(conn.name, 'connection')
  t.notOk(conn.ok)
  t.match(conn.detail, /authentication failed.*wrong password/)
  t.notMatch(formatDoctor(report), /wrong\b.*ClueCon|ClueCon/, 'no password printed')
  t.ok(
    report.checks
      .filter((c) => c.name !== 'sounds')
      .slice(1)
      .every((c) => !c.ok && /not checked/.test(c.detail)),
  )
})

t.test('nothing listening: the address and reason', async (t) => {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    soundsDir: soundsDir(),
    timeoutMs: 2000,
  })
  t.notOk(report.ok)
  t.match(report.checks[0].detail, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`))
})

t.test('dialplan missing: the check call is not parked by our dialplan', async (t) => {
  const { port } = await setup(t, { dialplanMissing: true })
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    soundsDir: soundsDir(),
    timeoutMs: 2000,
  })
  t.notOk(report.ok)
  const d = report.checks.find((c) => c.name === 'dialplan')!
  t.notOk(d.ok)
  t.match(d.detail, /koplus dialplan|not installed/)
  t.ok(
    report.checks.filter((c) => c.name !== 'dialplan').every((c) => c.ok),
    'only the dialplan check failed',
  )
})

t.test('a module missing and no sounds', async (t) => {
  const { port } = await setup(t, { loaded: REQUIRED_MODULES.map((m) => m.name).filter((m) => m !== 'mod_sndfile') })
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    soundsDir: join(tmpdir(), 'koplus-no-such-dir'),
    timeoutMs: 2000,
  })
  t.notOk(report.ok)
  const m = report.checks.find((c) => c.name === 'module mod_sndfile')!
  t.notOk(m.ok)
  t.match(m.detail, /not loaded.*WAV/)
  const s = report.checks.find((c) => c.name === 'sounds')!
  t.notOk(s.ok)
  t.match(s.detail, /missing/)
  t.match(formatDoctor(report), /^FAIL {2}module mod_sndfile/m)
})

t.test('a switch without the module: the check names it as not loaded', async (t) => {
  const { port, sim } = await setup(t)
  sim.loadedModules.clear()
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    soundsDir: soundsDir(),
    timeoutMs: 2000,
    modules: [{ name: 'mod_sofia', why: 'SIP' }],
  })
  const m = report.checks.find((c) => c.name === 'module mod_sofia')!
  t.notOk(m.ok)
  t.match(m.detail, /not loaded/)
})

// Issue 15: on a stock FreeSWITCH (vanilla dialplan, modelled by the simulator after conf/vanilla/dialplan/default.xml)
// the doctor proves every queue number and feature code reaches koplus, and names what ran when one does not.
const QUEUES = [{ number: '5000', name: 'Support' }, { number: '5100' }]
const CODES = ['*71', '*72']

t.test(
  'vanilla FreeSWITCH with the koplus jump: every number reaches koplus; default_password and the ivr_demo overlap are warnings',
  async (t) => {
    const { port, sim } = await setup(t, { vanilla: 'jump' })
    const report = await runDoctor({
      host: '127.0.0.1',
      port,
      password: 'ClueCon',
      soundsDir: soundsDir(),
      timeoutMs: 3000,
      settleMs: 300,
      queues: QUEUES,
      featureCodes: CODES,
      contexts: ['default', 'public'],
    })
    t.ok(report.ok, formatDoctor(report))
    const by = (n: string) => report.checks.find((c) => c.name === n)
    t.match(
      by('queue 5000 (default)')?.detail,
      /reaches koplus in context 'default' \(parked with koplus_queue=5000, queue Support\)/,
    )
    t.ok(by('queue 5100 (public)')?.ok, 'PSTN side: public reaches koplus too')
    t.ok(by('feature *71 (default)')?.ok)
    t.notOk(
      report.checks.some((c) => c.name.startsWith('feature') && c.name.includes('public')),
      'feature codes are not tested in public',
    )
    t.match(by('default_password'), { ok: true, warning: true, detail: /still 1234.*sleeps 10 s/ })
    t.match(by('overlap 5000'), { ok: true, warning: true, detail: /stock extension 'ivr_demo'/ })
    t.notOk(by('overlap 5100'), 'no stock extension matches 5100')
    const text = formatDoctor(report)
    t.match(text, /^WARN {2}default_password/m)
    t.match(text, /checks passed \(2 warnings\)$/)
    await sim.waitFor(() => sim.channels().every((c) => c.hungUp), 2000, 'every test call hung up')
  },
)

t.test(
  'vanilla FreeSWITCH with the old include at the end: queue 5000 is caught by the demo IVR, and the doctor says what ran',
  async (t) => {
    const { port } = await setup(t, { vanilla: 'end', globals: { default_password: 'changed-it' } })
    const report = await runDoctor({
      host: '127.0.0.1',
      port,
      password: 'ClueCon',
      soundsDir: soundsDir(),
      timeoutMs: 4000,
      settleMs: 2500,
      queues: [QUEUES[0]],
      featureCodes: ['*71'],
    })
    t.notOk(report.ok)
    const q = report.checks.find((c) => c.name === 'queue 5000')!
    t.notOk(q.ok)
    t.match(
      q.detail,
      /^caught before koplus, the call ran answer, sleep, ivr; put the koplus jump first in context 'default'/,
    )
    t.ok(
      report.checks.find((c) => c.name === 'feature *71')?.ok,
      'numbers no stock extension takes still work (as the reporter saw)',
    )
    t.ok(report.checks.find((c) => c.name === 'dialplan')?.ok, 'the koplus-check call alone did not notice')
    t.match(formatDoctor(report), /^FAIL {2}queue 5000 +caught before koplus, the call ran answer, sleep, ivr/m)
  },
)

t.test(
  'the old layout while default_password is 1234: every call sleeps 10 s first, and the doctor names it',
  async (t) => {
    const { port } = await setup(t, { vanilla: 'end' })
    const report = await runDoctor({
      host: '127.0.0.1',
      port,
      password: 'ClueCon',
      soundsDir: soundsDir(),
      timeoutMs: 2000,
      settleMs: 300,
      queues: [{ number: '5500' }],
    })
    const q = report.checks.find((c) => c.name === 'queue 5500')!
    t.notOk(q.ok)
    t.match(
      q.detail,
      /caught before koplus, the call ran sleep \(the 10 s sleep is the vanilla 'global' extension's: default_password is still 1234\)/,
    )
  },
)

t.test('vanilla FreeSWITCH without koplus: the dialplan and the numbers fail', async (t) => {
  const { port } = await setup(t, { vanilla: 'absent', globals: { default_password: 'x' } })
  const report = await runDoctor({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    soundsDir: soundsDir(),
    timeoutMs: 2000,
    settleMs: 300,
    queues: [{ number: '5100' }],
    featureCodes: ['*72'],
  })
  t.notOk(report.ok)
  t.notOk(report.checks.find((c) => c.name === 'dialplan')?.ok)
  t.match(report.checks.find((c) => c.name === 'queue 5100')?.detail, /hung up|not installed/)
  t.notOk(report.checks.find((c) => c.name === 'feature *72')?.ok)
})
