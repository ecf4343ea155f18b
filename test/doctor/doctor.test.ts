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

async function setup(t: { teardown(fn: () => unknown): void }, opts: { password?: string; dialplanMissing?: boolean; loaded?: string[] } = {}) {
  const sim = new FreeSwitchSimulator({
    password: 'ClueCon',
    dialplan: opts.dialplanMissing ? { routes: [{ match: 'koplus-check', apps: () => [{ app: 'hangup', arg: 'NO_ROUTE_DESTINATION', loops: 1 }] }] } : undefined,
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
  const report = await runDoctor({ host: '127.0.0.1', port, password: 'ClueCon', soundsDir: soundsDir(), timeoutMs: 3000 })
  t.ok(report.ok, formatDoctor(report))
  t.same(report.checks.map((c) => c.name), ['connection', 'version', ...REQUIRED_MODULES.map((m) => `module ${m.name}`), 'events', 'dialplan', 'sounds'])
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
  const report = await runDoctor({ host: '127.0.0.1', port, password: 'wrong', soundsDir: soundsDir(), timeoutMs: 2000 })
  t.notOk(report.ok)
  const conn = report.checks[0]!
  t.equal(conn.name, 'connection')
  t.notOk(conn.ok)
  t.match(conn.detail, /authentication failed.*wrong password/)
  t.notMatch(formatDoctor(report), /wrong\b.*ClueCon|ClueCon/, 'no password printed')
  t.ok(report.checks.filter((c) => c.name !== 'sounds').slice(1).every((c) => !c.ok && /not checked/.test(c.detail)))
})

t.test('nothing listening: the address and reason', async (t) => {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  const report = await runDoctor({ host: '127.0.0.1', port, password: 'ClueCon', soundsDir: soundsDir(), timeoutMs: 2000 })
  t.notOk(report.ok)
  t.match(report.checks[0]!.detail, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}`))
})

t.test('dialplan missing: the check call is not parked by our dialplan', async (t) => {
  const { port } = await setup(t, { dialplanMissing: true })
  const report = await runDoctor({ host: '127.0.0.1', port, password: 'ClueCon', soundsDir: soundsDir(), timeoutMs: 2000 })
  t.notOk(report.ok)
  const d = report.checks.find((c) => c.name === 'dialplan')!
  t.notOk(d.ok)
  t.match(d.detail, /koplus dialplan|not installed/)
  t.ok(report.checks.filter((c) => c.name !== 'dialplan').every((c) => c.ok), 'only the dialplan check failed')
})

t.test('a module missing and no sounds', async (t) => {
  const { port } = await setup(t, { loaded: REQUIRED_MODULES.map((m) => m.name).filter((m) => m !== 'mod_sndfile') })
  const report = await runDoctor({ host: '127.0.0.1', port, password: 'ClueCon', soundsDir: join(tmpdir(), 'koplus-no-such-dir'), timeoutMs: 2000 })
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
  const report = await runDoctor({ host: '127.0.0.1', port, password: 'ClueCon', soundsDir: soundsDir(), timeoutMs: 2000, modules: [{ name: 'mod_sofia', why: 'SIP' }] })
  const m = report.checks.find((c) => c.name === 'module mod_sofia')!
  t.notOk(m.ok)
  t.match(m.detail, /not loaded/)
})
