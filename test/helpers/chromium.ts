/**
 * Debian's Chromium, which the browser tests drive headless with playwright-core (never a downloaded browser).
 *
 *   const CHROMIUM = requireChromium()   // at the top of a browser test file
 */
import t from 'tap'
import { existsSync } from 'node:fs'

export const CHROMIUM_PATH = '/usr/bin/chromium'

/**
 * The browser's path. Without it this test file ends here with a plan of 0 — except in CI, where .ci/run installs
 * the chromium package and a missing browser is a failure, not a skip.
 */
export function requireChromium(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    if (process.env.CI) throw new Error(`no ${CHROMIUM_PATH} in CI: .ci/run should have installed the chromium package`)
    t.plan(0, `no ${CHROMIUM_PATH}: install the Debian chromium package (apt-get install -y chromium)`)
    process.exit(0)
  }
  return CHROMIUM_PATH
}
