/**
 * The caller's announcement timeline (SPEC Q1–Q5): welcome before the queue, the first queue message on entry,
 * then music on hold interrupted by the periodic message, the caller's position and the estimated wait.
 *
 * Pure: the engine asks `nextAnnouncement` what is due next and when, plays it, then `markPlayed`. The state is
 * small and is saved on the channel (variable koplus_announce) so that after a daemon restart the announcements
 * carry on where they were instead of starting over.
 */
import type { Language, QueueSettings } from '../model.js'
import { sayPosition, sayWait } from '../speech/index.js'

export interface AnnounceState {
  welcomeDone: boolean
  firstDone: boolean
  /** When the periodic message last played (null: never). */
  lastPeriodicAt: number | null
  /** When the position was last announced, and which position it was. */
  lastPositionAt: number | null
  lastPositionSaid: number | null
  /** When the wait estimate was last announced. */
  lastWaitAt: number | null
}

export type AnnouncementKind = 'periodic' | 'position' | 'wait' | 'position+wait'

export interface AnnouncementContext {
  now: number
  /** When the caller entered the queue. */
  joinedAt: number
  /** 1-based position in the queue now. */
  position: number
  /** Estimated wait in seconds; undefined when there is no basis (then the wait is not announced). */
  estimateSec?: number
  language: Language
}

interface PlannedAnnouncement {
  /** When it is due (may be in the past: due now). */
  at: number
  kind: AnnouncementKind
  /** Prompt ids, in order. Empty never: an announcement with nothing to say is not planned. */
  prompts: string[]
}

export function initialAnnounceState(): AnnounceState {
  return {
    welcomeDone: false,
    firstDone: false,
    lastPeriodicAt: null,
    lastPositionAt: null,
    lastPositionSaid: null,
    lastWaitAt: null,
  }
}

/** The welcome (played in full before the caller enters the queue) and the first queue message, as prompt ids. */
export function entryPrompts(settings: QueueSettings, state: AnnounceState): { welcome: string[]; first: string[] } {
  return {
    welcome: settings.welcomePrompt && !state.welcomeDone ? [settings.welcomePrompt] : [],
    first: settings.firstMessagePrompt && !state.firstDone ? [settings.firstMessagePrompt] : [],
  }
}

/** The interval that paces position and wait announcements (they share it: "you are number 2, about 3 minutes"). */
function positionIntervalMs(settings: QueueSettings): number {
  return Math.max(0, settings.positionIntervalSec) * 1000
}

/**
 * When the position announcement is next due, or undefined if never. The first one is due on entry. With
 * positionOnlyWhenChanged an unchanged position is skipped: the next check is the next interval boundary.
 */
function positionDue(settings: QueueSettings, state: AnnounceState, ctx: AnnouncementContext): number | undefined {
  if (!settings.announcePosition) return undefined
  if (state.lastPositionAt === null) return ctx.joinedAt
  const every = positionIntervalMs(settings)
  if (every === 0) return undefined
  let due = state.lastPositionAt + every
  if (settings.positionOnlyWhenChanged && state.lastPositionSaid === ctx.position) {
    // Nothing new to say: look again at the first interval boundary after now.
    while (due <= ctx.now) due += every
    return -due
  }
  return due
}

function waitDue(settings: QueueSettings, state: AnnounceState, ctx: AnnouncementContext): number | undefined {
  if (!settings.announceWait) return undefined
  if (state.lastWaitAt === null) return ctx.joinedAt
  const every = positionIntervalMs(settings)
  return every === 0 ? undefined : state.lastWaitAt + every
}

function periodicDue(settings: QueueSettings, state: AnnounceState, ctx: AnnouncementContext): number | undefined {
  if (!settings.periodicPrompt || settings.periodicIntervalSec <= 0) return undefined
  return (state.lastPeriodicAt ?? ctx.joinedAt) + settings.periodicIntervalSec * 1000
}

/**
 * The next announcement and when it is due (`at` may be in the past: due now). Position and wait due together
 * are spoken as one ("position+wait"). A wait announcement without a basis for an estimate says nothing, so it
 * is left out.
 *
 * NOTE for callers: with `positionOnlyWhenChanged`, an unchanged position yields a re-check, `{ at, kind:
 * 'position', prompts: [] }` with `at` in the future, when nothing else comes earlier: set a timer for `at` and
 * ask again then; play nothing. Every result with prompts has something to say.
 */
export function nextAnnouncement(
  settings: QueueSettings,
  state: AnnounceState,
  ctx: AnnouncementContext,
): PlannedAnnouncement | undefined {
  const lang = ctx.language
  const rawPos = positionDue(settings, state, ctx)
  const posSkipped = rawPos !== undefined && rawPos < 0
  const pos = rawPos === undefined ? undefined : Math.abs(rawPos)
  const waitPrompts = sayWait(ctx.estimateSec, lang)
  const wait = waitPrompts.length > 0 ? waitDue(settings, state, ctx) : undefined
  const periodic = periodicDue(settings, state, ctx)

  const candidates: PlannedAnnouncement[] = []
  if (pos !== undefined && !posSkipped) {
    const together = wait !== undefined && wait <= Math.max(pos, ctx.now)
    candidates.push({
      at: pos,
      kind: together ? 'position+wait' : 'position',
      prompts: together ? [...sayPosition(ctx.position, lang), ...waitPrompts] : sayPosition(ctx.position, lang),
    })
  }
  if (wait !== undefined && !(pos !== undefined && !posSkipped && wait <= Math.max(pos, ctx.now))) {
    candidates.push({ at: wait, kind: 'wait', prompts: waitPrompts })
  }
  if (periodic !== undefined) candidates.push({ at: periodic, kind: 'periodic', prompts: [settings.periodicPrompt] })
  if (pos !== undefined && posSkipped) candidates.push({ at: pos, kind: 'position', prompts: [] })
  if (candidates.length === 0) return undefined
  // Earliest first; on a tie, the one with something to say, then position before periodic.
  candidates.sort((a, b) => a.at - b.at || b.prompts.length - a.prompts.length)
  return candidates[0]
}

/** Record that an announcement was played at ctx.now. */
export function markPlayed(
  state: AnnounceState,
  kind: AnnouncementKind | 'welcome' | 'first',
  ctx: AnnouncementContext,
): AnnounceState {
  switch (kind) {
    case 'welcome':
      return { ...state, welcomeDone: true }
    case 'first':
      return { ...state, firstDone: true }
    case 'periodic':
      return { ...state, lastPeriodicAt: ctx.now }
    case 'position':
      return { ...state, lastPositionAt: ctx.now, lastPositionSaid: ctx.position }
    case 'wait':
      return { ...state, lastWaitAt: ctx.now }
    case 'position+wait':
      return { ...state, lastPositionAt: ctx.now, lastPositionSaid: ctx.position, lastWaitAt: ctx.now }
  }
}

/**
 * Compact text form for the channel variable koplus_announce: `v1:<flags>:<periodic>:<position>:<said>:<wait>`,
 * times in epoch ms, empty when never. Colon-separated so uuid_setvar needs no quoting.
 */
export function encodeAnnounceState(s: AnnounceState): string {
  const n = (v: number | null): string => (v === null ? '' : String(v))
  const flags = `${s.welcomeDone ? 'w' : ''}${s.firstDone ? 'f' : ''}`
  return ['v1', flags, n(s.lastPeriodicAt), n(s.lastPositionAt), n(s.lastPositionSaid), n(s.lastWaitAt)].join(':')
}

/** Inverse of encodeAnnounceState; anything unreadable gives the initial state (never throws: it comes from a channel). */
export function decodeAnnounceState(text?: string): AnnounceState {
  if (!text) return initialAnnounceState()
  const parts = text.split(':')
  if (parts[0] !== 'v1' || parts.length !== 6) return initialAnnounceState()
  const num = (v: string): number | null => {
    if (v === '') return null
    const x = Number(v)
    return Number.isFinite(x) ? x : null
  }
  return {
    welcomeDone: parts[1].includes('w'),
    firstDone: parts[1].includes('f'),
    lastPeriodicAt: num(parts[2]),
    lastPositionAt: num(parts[3]),
    lastPositionSaid: num(parts[4]),
    lastWaitAt: num(parts[5]),
  }
}
