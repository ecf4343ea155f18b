/**
 * Where the file for a prompt id lives. Pure: no file-system access; the caller passes the
 * sounds directory (as FreeSWITCH sees it — it may run on another host) and the queue's
 * overrides (prompts an operator recorded or imported, D3), loaded from the store.
 *
 * Layout: `<soundsDir>/<lang>/<id>.wav` (see sounds/README.md for every id).
 */
import { join, resolve, basename, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LANG, isLang, type Lang } from './speech/catalogue.js'

/**
 * One queue's prompt overrides: per language, prompt id → absolute file path.
 * e.g. `{ sv: { welcome: '/var/lib/koplus/prompts/q1/sv/welcome.wav' } }`.
 */
export type PromptOverrides = Partial<Record<Lang, Readonly<Record<string, string>>>>

/**
 * The repository's sounds/ directory, found relative to this module (works from src/ under
 * ts-node and from dist/src/ after tsc). Production configs should set the directory explicitly.
 */
export const DEFAULT_SOUNDS_DIR: string = (() => {
  // src/core/prompts.ts → <root>/ ; dist/src/core/prompts.js → <root>/dist/
  let root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  if (basename(root) === 'dist') root = dirname(root)
  return join(root, 'sounds')
})()

/**
 * The file to play for prompt `id` in `lang`: the queue's override for that language if there
 * is one, else the shipped file `<soundsDir>/<lang>/<id>.wav`. An unknown language falls back
 * to Swedish (the default).
 */
export function promptPath(
  id: string,
  lang: Lang | string,
  overrides?: PromptOverrides,
  soundsDir: string = DEFAULT_SOUNDS_DIR,
): string {
  const l: Lang = isLang(lang) ? lang : DEFAULT_LANG
  const own = overrides?.[l]?.[id]
  if (own) return own
  return join(soundsDir, l, `${id}.wav`)
}

/**
 * One FreeSWITCH playback argument for a sequence of prompt ids: the single file, or
 * `file_string://a.wav!b.wav!…` which plays the files back to back in one `playback`
 * (mod_dptools.c, file_string_file_open: the path is split on '!').
 * @throws RangeError on an empty list (there is nothing to play; skip the playback instead).
 */
export function playbackArg(
  ids: readonly string[],
  lang: Lang | string,
  overrides?: PromptOverrides,
  soundsDir: string = DEFAULT_SOUNDS_DIR,
): string {
  if (ids.length === 0) throw new RangeError('playbackArg: no prompts to play')
  const paths = ids.map((id) => promptPath(id, lang, overrides, soundsDir))
  return paths.length === 1 ? paths[0] : `file_string://${paths.join('!')}`
}
