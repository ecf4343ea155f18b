/**
 * Where the file for a prompt id lives. Pure: no file-system access; the caller passes the
 * sounds directory (as FreeSWITCH sees it — it may run on another host) and the queue's
 * overrides (prompts an operator recorded or imported, D3), loaded from the store.
 *
 * Layout: `<soundsDir>/<lang>/<id>.wav` (see sounds/README.md for every id).
 */
import { DEFAULT_LANG, isLang, type Lang } from './speech/catalogue.js'

/**
 * One queue's prompt overrides: per language, prompt id → absolute file path.
 * e.g. `{ sv: { welcome: '/var/lib/koplus/prompts/q1/sv/welcome.wav' } }`.
 */
type PromptOverrides = Partial<Record<Lang, Readonly<Record<string, string>>>>

/**
 * `dir/part/part` without node:path (the core has no node: imports): FreeSWITCH's paths are POSIX. An empty `dir`
 * gives a relative path. The shell's default directory is src/config/paths.ts DEFAULT_SOUNDS_DIR.
 */
export function joinPath(dir: string, ...parts: string[]): string {
  return dir === '' ? parts.join('/') : [dir.replace(/\/+$/, ''), ...parts].join('/')
}

/** A prompt id that is already a file path or a URL (tone_stream://, file_string://) plays as it is. */
export function isPromptPath(id: string): boolean {
  return id.includes('/') || id.includes('://')
}

/**
 * The file to play for prompt `id` in `lang`: the queue's override for that language if there
 * is one, else the shipped file `<soundsDir>/<lang>/<id>.wav`. An unknown language falls back
 * to Swedish (the default).
 */
export function promptPath(id: string, lang: string, overrides?: PromptOverrides, soundsDir = ''): string {
  const l: Lang = isLang(lang) ? lang : DEFAULT_LANG
  const own = overrides?.[l]?.[id]
  if (own) return own
  return joinPath(soundsDir, l, `${id}.wav`)
}

/**
 * One FreeSWITCH playback argument for a sequence of prompt ids: the single file, or
 * `file_string://a.wav!b.wav!…` which plays the files back to back in one `playback`
 * (mod_dptools.c, file_string_file_open: the path is split on '!').
 * @throws RangeError on an empty list (there is nothing to play; skip the playback instead).
 */
export function playbackArg(ids: readonly string[], lang: string, overrides?: PromptOverrides, soundsDir = ''): string {
  if (ids.length === 0) throw new RangeError('playbackArg: no prompts to play')
  const paths = ids.map((id) => promptPath(id, lang, overrides, soundsDir))
  return paths.length === 1 ? paths[0] : `file_string://${paths.join('!')}`
}
