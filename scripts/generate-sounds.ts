/**
 * Generates every prompt in src/core/speech/catalogue.ts as sounds/<lang>/<id>.wav
 * (8 kHz, mono, 16-bit PCM, leading/trailing silence trimmed, normalised) and rewrites
 * sounds/README.md. Development-time only; the WAVs are committed and CI does not run this.
 *
 *   apt-get install -y espeak-ng sox
 *   node --import @tapjs/typescript/import scripts/generate-sounds.ts            # everything
 *   node --import @tapjs/typescript/import scripts/generate-sounds.ts welcome    # only some ids
 *
 * Reproducible: espeak-ng is deterministic, and sox runs with -R (fixed seeds) and -D
 * (no dither), so the same tool versions give byte-identical files.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LANGS, PROMPTS, PROMPT_IDS, type Lang, type PromptId } from '../src/core/speech/catalogue.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const soundsDir = join(root, 'sounds')
const tmp = mkdtempSync(join(tmpdir(), 'koplus-sounds-'))

/** espeak-ng voice and speed per language (words per minute; a little slower than default for phone lines). */
const VOICE: Record<Lang, { voice: string; speed: string }> = {
  sv: { voice: 'sv', speed: '150' },
  en: { voice: 'en', speed: '150' },
}

/** Output format for every file: 8 kHz mono signed 16-bit little-endian WAV. */
const OUT = ['-R', '-D', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer']

function sox(args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'inherit'] })
}

function speech(lang: Lang, text: string, out: string): void {
  const raw = join(tmp, `raw-${lang}.wav`)
  execFileSync('espeak-ng', ['-v', VOICE[lang].voice, '-s', VOICE[lang].speed, '-w', raw, text])
  // Trim silence at both ends (reverse trick), leave a short natural pad, normalise to -3 dBFS.
  sox([
    '-R',
    raw,
    ...OUT,
    out,
    'silence',
    '1',
    '0.02',
    '0.5%',
    'reverse',
    'silence',
    '1',
    '0.02',
    '0.5%',
    'reverse',
    'pad',
    '0.05',
    '0.15',
    'norm',
    '-3',
  ])
}

function beep(out: string): void {
  sox(['-R', '-n', ...OUT, out, 'synth', '0.3', 'sine', '1000', 'fade', 'h', '0.01', '0.3', '0.01', 'norm', '-6'])
}

/**
 * Music on hold: a gentle 24 s arpeggio (C – Am – F – G, twice) of plucked notes over a
 * soft sine pad, loopable (starts and ends on the tonic chord's fade).
 */
function moh(out: string): void {
  const chords: number[][] = [
    [261.63, 329.63, 392.0], // C
    [220.0, 261.63, 329.63], // Am
    [174.61, 220.0, 261.63], // F
    [196.0, 246.94, 293.66], // G
  ]
  const noteLen = 0.375
  const parts: string[] = []
  let i = 0
  for (let rep = 0; rep < 2; rep++) {
    for (const [a, b, c] of chords) {
      const notes = [a * 2, b * 2, c * 2, b * 4, c * 2, b * 2, a * 2, c]
      const noteFiles: string[] = []
      for (const f of notes) {
        const nf = join(tmp, `n${i++}.wav`)
        sox([
          '-R',
          '-n',
          ...OUT,
          nf,
          'synth',
          String(noteLen),
          'pluck',
          f.toFixed(2),
          'fade',
          'h',
          '0.005',
          String(noteLen),
          '0.12',
        ])
        noteFiles.push(nf)
      }
      const arp = join(tmp, `arp${i}.wav`)
      sox(['-R', ...noteFiles, ...OUT, arp])
      const pad = join(tmp, `pad${i}.wav`)
      sox([
        '-R',
        '-r',
        '8000',
        '-c',
        '3',
        '-n',
        '-c',
        '1',
        '-b',
        '16',
        pad,
        'synth',
        String(noteLen * notes.length),
        'sine',
        a.toFixed(2),
        'sine',
        b.toFixed(2),
        'sine',
        c.toFixed(2),
        'remix',
        '1-3',
        'fade',
        't',
        '0.4',
        String(noteLen * notes.length),
        '0.4',
        'vol',
        '0.25',
      ])
      const bar = join(tmp, `bar${i}.wav`)
      sox(['-R', '-D', '-m', '-v', '0.8', arp, '-v', '1', pad, ...OUT.slice(2), bar])
      parts.push(bar)
    }
  }
  sox(['-R', ...parts, ...OUT, out, 'norm', '-6'])
}

function generate(id: PromptId, lang: Lang): void {
  const entry = PROMPTS[id]
  const out = join(soundsDir, lang, `${id}.wav`)
  if (entry.kind === 'beep') beep(out)
  else if (entry.kind === 'moh') moh(out)
  else speech(lang, entry[lang], out)
}

function toolVersions(): string {
  const first = (cmd: string, args: string[]) =>
    execFileSync(cmd, args, { encoding: 'utf8' })
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '?'
  const espeak = first('espeak-ng', ['--version']).replace(/\s+Data at:.*$/, '')
  return `${espeak}; ${first('sox', ['--version']).replace(/\s+/g, ' ')}`
}

function readme(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const lines = [
    '# Prompts',
    '',
    'Every prompt koplus plays, as `sounds/<lang>/<id>.wav`: 8 kHz, mono, 16-bit PCM WAV.',
    'Generated from `src/core/speech/catalogue.ts` with espeak-ng and sox by',
    '`node --import @tapjs/typescript/import scripts/generate-sounds.ts` (development only; the files are committed).',
    'This README is generated by the same script.',
    `Tools used for the committed files: ${toolVersions()}.`,
    'Voices: espeak-ng `sv` and `en`, 150 words/min; silence trimmed, normalised to −3 dBFS.',
    '',
    'Operators can replace any prompt per queue and language (see `promptPath` in `src/core/prompts.ts`).',
    'Numbers are composed from the `num-*` words by `src/core/speech/numbers.ts`',
    '(sv: `num-20` `num-1` = tjugoett; `num-1` `num-hundred` = etthundra; a lone 1 before an',
    'en-word uses `num-1-common`, "en minut"). Wait announcements (`sayWait` in',
    '`src/core/speech/phrases.ts`): under 60 s "less than a minute"; else the nearest minute,',
    'from 20 minutes the nearest 5; above 180 minutes "more than 180 minutes"; no basis: silence.',
    '',
    '| id | sv | en |',
    '|----|----|----|',
  ]
  for (const id of PROMPT_IDS) {
    const e = PROMPTS[id]
    lines.push(`| \`${id}\` | ${esc(e.sv)} | ${esc(e.en)} |`)
  }
  return lines.join('\n') + '\n'
}

const wanted = process.argv.slice(2)
let bytes = 0
let count = 0
try {
  for (const lang of LANGS) {
    mkdirSync(join(soundsDir, lang), { recursive: true })
    for (const id of PROMPT_IDS) {
      if (wanted.length > 0 && !wanted.includes(id)) continue
      generate(id, lang)
      bytes += statSync(join(soundsDir, lang, `${id}.wav`)).size
      count++
    }
  }
  writeFileSync(join(soundsDir, 'README.md'), readme())
  console.log(`generated ${count} files, ${(bytes / 1024).toFixed(0)} KiB, in ${soundsDir}`)
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
