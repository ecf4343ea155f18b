/** The data directory: where the SQLite file lives; the CLI token file is written beside it. */
import { dirname, join } from 'node:path'

export function dataDirOf(config: { database: { path: string } }): string {
  return config.database.path === ':memory:' ? join(process.cwd(), 'data') : dirname(config.database.path)
}
