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
