/**
 * A stand-in for `node bin/koplus.js daemon --config PATH` while the CLI is not built: runs runDaemonCommand in this
 * process (started by test/helpers/daemon-process.ts with the test runner's TypeScript loader).
 */
import { runDaemonCommand } from '../../src/daemon/index.js'

const i = process.argv.indexOf('--config')
const configPath = i >= 0 ? process.argv[i + 1] : undefined
runDaemonCommand({
  ...(configPath ? { configPath } : {}),
  simulate: process.argv.includes('--simulate'),
  fresh: process.argv.includes('--fresh'),
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err))
  process.exit(1)
})
