/**
 * Where the package lives on disk, found from this file whatever the layout:
 * src/config/ when run from TypeScript sources (tests), dist/src/config/ when compiled.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

/** The directory holding koplus's package.json (and schema.sql, sounds/, conf/). */
export function packageRoot(): string {
  if (cached) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        const name = (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name
        if (name === 'koplus') return (cached = dir)
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`koplus package root not found above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
}

/**
 * The repository's sounds/ directory (the shipped prompts), the default of `soundsDir`; production configs set the
 * directory as FreeSWITCH sees it. (Moved here from src/core/prompts.ts: the core has no node: imports.)
 */
export const DEFAULT_SOUNDS_DIR: string = join(packageRoot(), 'sounds')

/** The production install's config file (docs/install-freeswitch.md; scripts/install.sh puts it there). */
export const SYSTEM_CONFIG = '/etc/koplus/koplus.json'

/**
 * The config file the CLI reads: --config, else KOPLUS_CONFIG, else /etc/koplus/koplus.json when it exists (the
 * production install), else none (built-in defaults). `exists` is injectable for tests.
 */
export function cliConfigPath(
  argvPath: string | undefined,
  env: NodeJS.ProcessEnv,
  exists: (p: string) => boolean = existsSync,
): string | undefined {
  if (argvPath !== undefined) return argvPath
  if (env.KOPLUS_CONFIG) return env.KOPLUS_CONFIG
  return exists(SYSTEM_CONFIG) ? SYSTEM_CONFIG : undefined
}
