/**
 * scripts/install-dialplan.sh on a copy of the vanilla FreeSWITCH dialplan (test/fixtures/freeswitch-vanilla,
 * abridged from conf/vanilla/dialplan of FreeSWITCH 1.10): the koplus context is installed, the jump becomes the
 * FIRST extension of the default and public contexts (before the "global" extension's 10 s default_password
 * sleep and before ivr_demo ^5000$), the old default/00_koplus.xml is disabled, and a second run changes nothing.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')
const script = join(root, 'scripts', 'install-dialplan.sh')

function scratchConf(): string {
  const conf = mkdtempSync(join(tmpdir(), 'koplus-fsconf-'))
  cpSync(join(root, 'test', 'fixtures', 'freeswitch-vanilla', 'dialplan'), join(conf, 'dialplan'), { recursive: true })
  return conf
}

const run = (conf: string): string => execFileSync('sh', [script, '--conf', conf], { encoding: 'utf8' })

/** Extension names of `context` in file order. */
function extensions(xml: string, context: string): string[] {
  const body = xml.slice(xml.indexOf(`<context name="${context}">`))
  return [...body.matchAll(/<extension name="([^"]+)"/g)].map((m) => m[1])
}

t.test('installs the koplus context and puts the jump first in default and public', async (t) => {
  const conf = scratchConf()
  writeFileSync(
    join(conf, 'dialplan', 'default', '00_koplus.xml'),
    '<include><extension name="koplus-queue"/></include>\n',
  )
  const out = run(conf)
  t.match(out, /installed .*dialplan\/koplus\.xml/)
  t.equal(
    readFileSync(join(conf, 'dialplan', 'koplus.xml'), 'utf8'),
    readFileSync(join(root, 'conf', 'freeswitch', 'dialplan', 'koplus.xml'), 'utf8'),
  )

  const def = readFileSync(join(conf, 'dialplan', 'default.xml'), 'utf8')
  t.same(
    extensions(def, 'default'),
    ['koplus', 'unloop', 'global', 'Local_Extension', 'ivr_demo', 'enum'],
    'the jump precedes every stock extension',
  )
  t.match(
    def,
    /<extension name="koplus" continue="true">\s*<condition field="destination_number" expression="\^\.\+\$">\s*<action application="execute_extension" data="\$\{destination_number\} XML koplus"\/>/,
  )
  const pub = readFileSync(join(conf, 'dialplan', 'public.xml'), 'utf8')
  t.same(extensions(pub, 'public'), ['koplus', 'unloop', 'outside_call', 'public_extensions'])
  t.match(pub, /expression="\^\[\^\*\]"/, 'public does not pass feature codes')
  t.equal(
    readFileSync(join(conf, 'dialplan', 'default.xml.koplus-orig'), 'utf8'),
    readFileSync(join(root, 'test', 'fixtures', 'freeswitch-vanilla', 'dialplan', 'default.xml'), 'utf8'),
    'the original is kept',
  )
  t.notOk(existsSync(join(conf, 'dialplan', 'default', '00_koplus.xml')), 'the old layout is disabled')
  t.ok(existsSync(join(conf, 'dialplan', 'default', '00_koplus.xml.disabled')))
  t.ok(existsSync(join(conf, 'dialplan', 'default', '01_example.com.xml')), 'other files are left alone')
})

t.test('a second run changes nothing; an edited koplus.xml is kept', async (t) => {
  const conf = scratchConf()
  run(conf)
  const files = ['default.xml', 'public.xml', 'koplus.xml'].map((f) => join(conf, 'dialplan', f))
  const before = files.map((f) => readFileSync(f, 'utf8'))
  const out = run(conf)
  t.same(
    files.map((f) => readFileSync(f, 'utf8')),
    before,
    'byte for byte the same',
  )
  t.match(out, /unchanged .*default\.xml \(the koplus jump is already there\)/)
  t.match(out, /unchanged .*public\.xml/)
  t.equal(extensions(before[0], 'default').filter((n) => n === 'koplus').length, 1)

  const edited = before[2].replace('^(5\\d{3})$', '^(5000|7777)$')
  t.not(edited, before[2], 'the queue expression was edited')
  writeFileSync(files[2], edited)
  t.match(run(conf), /kept your edited .*koplus\.xml.*koplus\.xml\.new/)
  t.equal(readFileSync(files[2], 'utf8'), edited)
  t.ok(existsSync(`${files[2]}.new`))
})

t.test('a conf dir without the vanilla files: a clear error, nothing written', async (t) => {
  const conf = mkdtempSync(join(tmpdir(), 'koplus-fsconf-empty-'))
  try {
    execFileSync('sh', [script, '--conf', conf], { encoding: 'utf8', stdio: 'pipe' })
    t.fail('should have failed')
  } catch (err) {
    const e = err as { status: number; stderr: string }
    t.equal(e.status, 1)
    t.match(e.stderr, /dialplan\/default\.xml not found/)
  }
  t.notOk(existsSync(join(conf, 'dialplan', 'koplus.xml')))
})
