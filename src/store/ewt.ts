/** Announced wait estimates and the waits that followed (Q5 accuracy). Asynchronous, SQLite and PostgreSQL alike. */
import type { RepoContext } from './repo-context.js'
import { requireInstant, requireInt, requireString } from './util.js'

export interface EwtEntry {
  id: number
  callId: string
  queueId: string
  at: number
  position: number
  /** The remaining wait announced, in seconds; null when nothing was announced (no basis). */
  announcedSeconds: number | null
  /** The real remaining wait from `at` until answered; null while unknown or if never answered. */
  actualWaitMs: number | null
}

interface Row {
  id: number
  call_id: string
  queue_id: string
  at: number
  position: number
  announced_seconds: number | null
  actual_wait_ms: number | null
}

export class EwtLog {
  constructor(private readonly ctx: RepoContext) {}

  /** Log an announcement; returns its id. */
  async record(e: {
    callId: string
    queueId: string
    at: number
    position: number
    announcedSeconds: number | null
  }): Promise<number> {
    requireString('ewt.callId', e.callId, { max: 128 })
    requireString('ewt.queueId', e.queueId, { max: 64 })
    requireInstant('ewt.at', e.at)
    requireInt('ewt.position', e.position, 1, 1_000_000)
    if (e.announcedSeconds !== null) requireInt('ewt.announcedSeconds', e.announcedSeconds, 0, 86400 * 7)
    const r = await this.ctx.db.get<{ id: number }>(
      'INSERT INTO ewt_log (call_id, queue_id, at, position, announced_seconds) VALUES (?, ?, ?, ?, ?) RETURNING id',
      [e.callId, e.queueId, e.at, e.position, e.announcedSeconds],
    )
    return r!.id
  }

  /** When the call is answered: fill in the actual remaining wait of each of its announcements. Returns rows updated. */
  async resolve(callId: string, answeredAt: number): Promise<number> {
    requireInstant('ewt.answeredAt', answeredAt)
    // CASE rather than SQLite's scalar MAX() / PostgreSQL's GREATEST(): the same text runs on both.
    const r = await this.ctx.db.run(
      'UPDATE ewt_log SET actual_wait_ms = CASE WHEN at < ? THEN ? - at ELSE 0 END WHERE call_id = ? AND actual_wait_ms IS NULL',
      [answeredAt, answeredAt, callId],
    )
    return r.changes
  }

  async forCall(callId: string): Promise<EwtEntry[]> {
    const rows = await this.ctx.db.all<Row>('SELECT * FROM ewt_log WHERE call_id = ? ORDER BY at, id', [callId])
    return rows.map((r) => ({
      id: r.id,
      callId: r.call_id,
      queueId: r.queue_id,
      at: r.at,
      position: r.position,
      announcedSeconds: r.announced_seconds,
      actualWaitMs: r.actual_wait_ms,
    }))
  }
}
