/**
 * The data directory and the files koplus keeps in it. The SQLite file lives there (database.path); beside it the
 * daemon writes the CLI's token (cli-token) and its address file (daemon.json), and `koplus daemon --simulate` keeps
 * its demo database. Shared by the daemon (writes) and the CLI and doctor (read), so it lives here, not in api/.
 */
import { dirname, join } from 'node:path'

/** The CLI's local operator token, written by the daemon at start-up (mode 0640). */
export const CLI_TOKEN_FILE = 'cli-token'
/** The system operator account the CLI's token belongs to. */
export const CLI_ACCOUNT = 'koplus-cli'
/** Where the running daemon can be reached (./runtime-file.ts). */
export const RUNTIME_FILE = 'daemon.json'
/** The demo database of `koplus daemon --simulate`, beside (never instead of) the real one. */
export const SIMULATE_DB_FILE = 'simulate.sqlite'

/** The data directory: the database file's directory, or ./data for an in-memory database. */
export function dataDirOf(config: { database: { path: string } }): string {
  return config.database.path === ':memory:' ? join(process.cwd(), 'data') : dirname(config.database.path)
}
