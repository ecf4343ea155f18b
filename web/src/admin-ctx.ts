/** What every section of the admin page gets: the account, the live status and the shared lists. */
import type { Account } from './api.js'
import type { Status } from './live.js'
import type { OpeningRule } from './week.js'

export interface Queue {
  id: string
  tenantId: string
  number: string
  name: string
  tags: string[]
  settings: Record<string, unknown> & {
    strategy: string
    language: string
    ringTimeSec: number
    wrapUpSec: number
  }
  schedule: Schedule | null
}

export interface Schedule {
  timeZone: string
  rules: OpeningRule[]
  calendarIds: string[]
  alwaysOpen?: boolean
}

export interface Agent {
  id: string
  tenantId: string
  extension: string
  name: string
  plan: 'basic' | 'pro' | 'business' | 'enterprise'
  sipUser: string
  devices: { type: 'softphone' | 'deskphone' | 'mobile'; target: string }[]
  activeDevice: number
  wrapUpSec: number | null
  skills: Record<string, number>
}

export interface AdminCtx {
  account: Account
  /** The latest live status (undefined until the first SSE event). */
  status(): Status | undefined
  /** Called after every status event while the section is shown; returns an unsubscribe function. */
  onStatus(cb: () => void): () => void
  /** Re-render the current section. */
  refresh(): void
  /** The section's own query after the hash, e.g. #hours/q1 → 'q1'. */
  arg?: string
}
