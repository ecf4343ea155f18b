/** What every repository module gets: the connection, a statement cache, the clock for timestamps, a logger. */
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import type { Clock } from '../util/clock.js'

export interface StoreContext {
  db: Database.Database
  /** db.prepare(sql), prepared once per distinct SQL text and reused. */
  sql(text: string): Database.Statement
  clock: Clock
  logger: Logger
}

/** A StoreContext over an open connection. */
export function makeContext(db: Database.Database, clock: Clock, logger: Logger): StoreContext {
  const cache = new Map<string, Database.Statement>()
  return {
    db,
    clock,
    logger,
    sql(text) {
      let s = cache.get(text)
      if (!s) {
        s = db.prepare(text)
        cache.set(text, s)
      }
      return s
    },
  }
}
