/**
 * `npm run bench`: runs every benchmark module in bench/ (files named *.bench.ts, compiled
 * to dist/bench/*.bench.js). Each exports `default async function (): Promise<void>` and
 * prints its own figures. Pass names to run a subset: `node dist/bench/run.js esl-parse`.
 */
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const wanted = process.argv.slice(2)
// A name picks its own file when one has exactly that name (`scale` is scale.bench, not also scale-daemon.bench),
// else every file it begins.
const all = readdirSync(here).filter((f) => f.endsWith('.bench.js'))
const files = all
  .filter(
    (f) =>
      wanted.length === 0 ||
      wanted.some((w) => (all.includes(`${w}.bench.js`) ? f === `${w}.bench.js` : f.startsWith(w))),
  )
  .sort()
if (files.length === 0) {
  console.error('no benchmarks found')
  process.exit(1)
}
for (const f of files) {
  console.log(`\n=== ${f.replace(/\.bench\.js$/, '')} ===`)
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: () => Promise<void> }
  await mod.default()
}
