/**
 * Runs a test file again under other host time zones (TZ), so a result that leans on the host's zone fails. Call it
 * from the file itself: in the parent run it adds one subtest per zone that spawns the file with TZ set (and
 * KOPLUS_TZ_RUN, so the child does not spawn again) and requires every assertion of the child to pass.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const HOST_ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'] as const

/** The host zone this process runs in (the child of alsoUnderZones: the TZ it was given). */
export const hostZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone

export function alsoUnderZones(t: Test, fileUrl: string, zones: readonly string[] = HOST_ZONES): void {
  if (process.env.KOPLUS_TZ_RUN) return
  const file = fileURLToPath(fileUrl)
  const loader = process.execArgv.filter((a) => a.includes('@tapjs/typescript') || a === '--enable-source-maps')
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAP')))
  for (const zone of zones) {
    t.test(
      `the same under TZ=${zone}`,
      (t) =>
        new Promise<void>((done) => {
          execFile(
            process.execPath,
            [...loader, file],
            { env: { ...env, TZ: zone, KOPLUS_TZ_RUN: zone }, timeout: 120_000 },
            (err, stdout, stderr) => {
              t.notOk(
                err,
                `the file passes under TZ=${zone}\n${stdout
                  .split('\n')
                  .filter((l) => /^\s*not ok|^\s+(found|wanted|at):/.test(l))
                  .join('\n')}\n${stderr.slice(-2000)}`,
              )
              t.match(stdout, /^# \{ total: \d+, pass: \d+ \}$|^ok \d+/m, 'the child ran its tests')
              done()
            },
          )
        }),
    )
  }
}
