/**
 * Every id speech can return must exist as a WAV in both languages, in the format FreeSWITCH
 * plays without resampling surprises: 8 kHz, mono, 16-bit PCM.
 */
import t from 'tap'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { LANGS, PROMPT_IDS, PROMPTS } from '../../src/core/speech/catalogue.js'
import * as speech from '../../src/core/speech/index.js'
import { DEFAULT_SOUNDS_DIR } from '../../src/config/paths.js'
import { playbackArg, promptPath as corePromptPath } from '../../src/core/prompts.js'

/** The shipped file of a prompt (the repository's sounds/). */
const promptPath = (
  id: string,
  lang: string,
  overrides?: Parameters<typeof corePromptPath>[2],
  dir: string = DEFAULT_SOUNDS_DIR,
) => corePromptPath(id, lang, overrides, dir)

/** Reads the fmt chunk and data size of a RIFF/WAVE file. */
function wavInfo(file: string) {
  const b = readFileSync(file)
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not WAVE`)
  let off = 12
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined
  let dataBytes = 0
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4)
    const size = b.readUInt32LE(off + 4)
    if (id === 'fmt ') {
      fmt = {
        format: b.readUInt16LE(off + 8),
        channels: b.readUInt16LE(off + 10),
        rate: b.readUInt32LE(off + 12),
        bits: b.readUInt16LE(off + 22),
      }
    } else if (id === 'data') dataBytes = size
    off += 8 + size + (size & 1)
  }
  if (!fmt) throw new Error(`${file}: no fmt chunk`)
  return { ...fmt, seconds: dataBytes / (fmt.rate * fmt.channels * (fmt.bits / 8)) }
}

t.test('every catalogue prompt is an 8 kHz mono 16-bit WAV in both languages', async (t) => {
  for (const lang of LANGS) {
    for (const id of PROMPT_IDS) {
      const file = promptPath(id, lang)
      t.ok(existsSync(file), `${lang}/${id}.wav exists`)
      const info = wavInfo(file)
      t.match(info, { format: 1, channels: 1, rate: 8000, bits: 16 }, `${lang}/${id} format`)
      t.ok(info.seconds > 0.1, `${lang}/${id} not empty`)
      const max = PROMPTS[id].kind === 'moh' ? 30 : 10
      t.ok(info.seconds <= max, `${lang}/${id} short (${info.seconds.toFixed(2)} s)`)
    }
  }
  const moh = wavInfo(promptPath('moh', 'sv'))
  t.ok(moh.seconds >= 20 && moh.seconds <= 30, 'music on hold is 20–30 s')
})

t.test('no stray files: every WAV on disk is in the catalogue', async (t) => {
  for (const lang of LANGS) {
    const files = readdirSync(join(DEFAULT_SOUNDS_DIR, lang)).filter((f) => f.endsWith('.wav'))
    t.same(files.map((f) => f.slice(0, -4)).sort(), [...PROMPT_IDS].sort(), lang)
  }
})

t.test('everything speech can return has a file', async (t) => {
  const seen = new Set<string>()
  for (const lang of LANGS) {
    const add = (ids: string[]) => ids.forEach((id) => seen.add(id))
    for (let n = 0; n <= 999; n++) {
      add(speech.sayNumber(n, lang))
      add(speech.sayNumber(n, lang, { gender: 'common' }))
      if (n > 0) add(speech.sayPosition(n, lang))
      add(speech.sayLoggedIn(n, lang))
    }
    for (const n of [1000, 1234, 99_999, 999_999]) add(speech.sayNumber(n, lang))
    for (let s = 0; s <= 200 * 60; s += 7) add(speech.sayWait(s, lang))
    add(speech.sayWait(1e9, lang))
  }
  for (const d of ['softphone', 'deskphone', 'mobile'] as const) speech.sayDeviceChosen(d).forEach((id) => seen.add(id))
  for (const f of [
    speech.sayLoggedOut,
    speech.sayPaused,
    speech.sayUnpaused,
    speech.sayWrapUpEnded,
    speech.sayNotAllowedByPlan,
    speech.sayNotMember,
    speech.sayUnknownQueue,
    speech.sayError,
    speech.sayMobileOffer,
    speech.sayRecordAfterBeep,
    speech.sayRecordConfirm,
    speech.sayPromptSaved,
  ])
    f().forEach((id) => seen.add(id))
  t.ok(seen.size > 40)
  for (const id of seen) {
    for (const lang of LANGS) {
      if (!existsSync(promptPath(id, lang))) t.fail(`${lang}/${id}.wav missing`)
    }
  }
})

t.test('promptPath and overrides', async (t) => {
  t.equal(promptPath('welcome', 'sv', undefined, '/snd'), '/snd/sv/welcome.wav')
  t.equal(promptPath('welcome', 'en', undefined, '/snd'), '/snd/en/welcome.wav')
  t.equal(promptPath('welcome', 'xx', undefined, '/snd'), '/snd/sv/welcome.wav', 'unknown language → sv')
  const overrides = { sv: { welcome: '/rec/q1/sv/welcome.wav' } }
  t.equal(promptPath('welcome', 'sv', overrides, '/snd'), '/rec/q1/sv/welcome.wav', 'override wins')
  t.equal(promptPath('welcome', 'en', overrides, '/snd'), '/snd/en/welcome.wav', 'override is per language')
  t.equal(promptPath('closed', 'sv', overrides, '/snd'), '/snd/sv/closed.wav', 'override is per id')
  t.ok(DEFAULT_SOUNDS_DIR.endsWith('/sounds'))
  t.equal(playbackArg(['welcome'], 'sv', overrides, '/snd'), '/rec/q1/sv/welcome.wav')
  t.equal(
    playbackArg(['position-is', 'num-2'], 'en', overrides, '/snd'),
    'file_string:///snd/en/position-is.wav!/snd/en/num-2.wav',
  )
  t.throws(() => playbackArg([], 'sv'), RangeError)
})
