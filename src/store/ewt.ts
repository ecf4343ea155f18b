/** Announced wait estimates and the waits that followed (Q5 accuracy). */
import type { StoreContext } from './context.js'
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

export class EwtLog {
  constructor(private readonly ctx: StoreContext) {}

  /** Log an announcement; returns its id. */
  record(e: {
    callId: string
    queueId: string
    at: number
    position: number
    announcedSeconds: number | null
  }): number {
    requireString('ewt.callId', e.callId, { max: 128 })
    requireString('ewt.queueId', e.queueId, { max: 64 })
    requireInstant('ewt.at', e.at)
    requireInt('ewt.position', e.position, 1, 1_000_000)
    if (e.announcedSeconds !== null) requireInt('ewt.announcedSeconds', e.announcedSeconds, 0, 86400 * 7)
    const r = this.ctx
      .sql('INSERT INTO ewt_log (call_id, queue_id, at, position, announced_seconds) VALUES (?, ?, ?, ?, ?)')
      .run(e.callId, e.queueId, e.at, e.position, e.announcedSeconds)
    return Number(r.lastInsertRowid)
  }

  /** When the call is answered: fill in the actual remaining wait of each of its announcements. Returns rows updated. */
  resolve(callId: string, answeredAt: number): number {
    requireInstant('ewt.answeredAt', answeredAt)
    return this.ctx
      .sql('UPDATE ewt_log SET actual_wait_ms = MAX(0, ? - at) WHERE call_id = ? AND actual_wait_ms IS NULL')
      .run(answeredAt, callId).changes
  }

  forCall(callId: string): EwtEntry[] {
    const rows = this.ctx.sql('SELECT * FROM ewt_log WHERE call_id = ? ORDER BY at, id').all(callId) as {
      id: number
      call_id: string
      queue_id: string
      at: number
      position: number
      announced_seconds: number | null
      actual_wait_ms: number | null
    }[]
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
