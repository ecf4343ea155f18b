/**
 * Carrying out the core's persistence commands against the store: `log`, `call-record`, `offer-record`,
 * `agent-session`, `agent-device`, `ewt`, `prompt-recorded`, `callback-record`.
 *
 * The call path never waits for the store (issue 12): the daemon sends FreeSWITCH a step's commands first, then
 * `persistStep` queues the step's persistence commands as ONE job of the store's write queue (store.writes: one
 * transaction, applied in order, retried through an outage; SQLite and PostgreSQL alike) and returns at once. The
 * reads a command needs (call-record's "is there a record yet?") happen inside that job, so they see every write
 * queued before it.
 *
 * One command that fails for a reason retrying cannot cure (an invalid value, a record not known) is rolled back
 * to its savepoint and logged with the call/agent id; the step's other commands are still written. A connection
 * error is rethrown, so the queue retries the whole job.
 */
import type { Logger } from 'pino'
import type { Command } from '../core/commands.js'
import type { Language } from '../core/model.js'
import { isRetryable, type SqlRunner } from '../store/index.js'
import type { CallOutcome, Calls } from '../store/calls.js'
import type { Store } from '../store/index.js'

/** The repositories persistence needs (a Store has them all). */
type PersistStore = Pick<Store, 'calls' | 'callbacks' | 'events' | 'sessions' | 'agents' | 'ewt' | 'prompts'>

const PERSIST_TYPES = new Set([
  'log',
  'call-record',
  'offer-record',
  'agent-session',
  'agent-device',
  'ewt',
  'prompt-recorded',
  'callback-record',
])

/** True for the command types this module handles. */
export function isPersistCommand(cmd: Command): boolean {
  return PERSIST_TYPES.has(cmd.type)
}

/**
 * Queue one engine step's persistence commands as one write-queue job (one transaction, after the writes queued
 * before); returns its sequence number at once. Never throws for the store.
 */
export function persistStep(store: Store, label: string, cmds: readonly Command[], log: Logger): number {
  return store.writes.enqueue(label, (tx, attempt) => persistCommands(store.within(tx), tx, cmds, log, attempt))
}

/**
 * Applies one step's persistence commands inside an open transaction. Every statement is a round trip on
 * PostgreSQL, so the first attempt applies them plainly: a savepoint per command costs two round trips each (under
 * the load bench the queue then wrote 263 steps/s and fell behind). If a command fails for a reason retrying
 * cannot cure, the error goes to the write queue, which rolls the transaction back and runs the step again alone
 * with `careful` (src/store/write-queue.ts, "Careful retry"): then every command has its savepoint (persistInJob),
 * so the failing one alone is skipped and logged.
 */
export async function persistCommands(
  s: PersistStore,
  tx: SqlRunner,
  cmds: readonly Command[],
  log: Logger,
  attempt: { careful: boolean } = { careful: true },
): Promise<void> {
  if (attempt.careful) for (const cmd of cmds) await persistInJob(s, tx, cmd, log)
  else for (const cmd of cmds) await apply(s, cmd)
}

/**
 * Applies one persistence command inside an open transaction, under a savepoint: a failure that retrying cannot
 * cure is rolled back to it and logged (the transaction goes on: PostgreSQL would refuse every later statement
 * after an error otherwise); a connection failure is rethrown for the queue to retry the job.
 */
export async function persistInJob(s: PersistStore, tx: SqlRunner, cmd: Command, log: Logger): Promise<void> {
  await tx.run('SAVEPOINT koplus_cmd')
  try {
    await apply(s, cmd)
  } catch (err) {
    if (isRetryable(err)) throw err
    await tx.run('ROLLBACK TO SAVEPOINT koplus_cmd')
    log.error({ ...commandIds(cmd), command: cmd.type, err }, 'failed to persist a core command')
  }
  await tx.run('RELEASE SAVEPOINT koplus_cmd')
}

function commandIds(cmd: Command): Record<string, string> {
  if (cmd.type === 'offer-record') return { call: cmd.callId, leg: cmd.legId }
  if ('callId' in cmd) return { call: cmd.callId }
  if ('agentId' in cmd) return { agent: cmd.agentId }
  if (cmd.type === 'call-record' || cmd.type === 'callback-record') return { call: cmd.record.callId }
  return {}
}

async function apply(store: PersistStore, cmd: Command): Promise<void> {
  switch (cmd.type) {
    case 'log':
      await store.events.append({
        at: cmd.at,
        callId: cmd.callId || null,
        queueId: cmd.queueId || null,
        agentId: cmd.agentId || null,
        event: cmd.event,
        data: cmd.data ?? null,
      })
      return
    case 'call-record': {
      const r = cmd.record
      const existing = await store.calls.find(r.callId)
      let current = existing
      if (!existing) {
        if (!r.tenantId || !r.queueId || r.arrivedAt === undefined) {
          throw new Error(`call record ${r.callId} is not known yet and the update lacks tenantId/queueId/arrivedAt`)
        }
        current = await store.calls.start({
          callId: r.callId,
          tenantId: r.tenantId,
          queueId: r.queueId,
          arrivedAt: r.arrivedAt,
          callerNumber: r.callerNumber ?? '',
          callerName: r.callerName ?? '',
          ...(r.enteredQueueAt !== undefined ? { enteredQueueAt: r.enteredQueueAt } : {}),
        })
      }
      const patch: Parameters<Calls['update']>[1] = {}
      if (r.enteredQueueAt !== undefined && existing) patch.enteredQueueAt = r.enteredQueueAt
      if (r.answeredAt !== undefined) patch.answeredAt = r.answeredAt
      if (r.endedAt !== undefined) patch.endedAt = r.endedAt
      if (r.outcome !== undefined) patch.outcome = r.outcome as CallOutcome
      if (r.agentId !== undefined) patch.agentId = r.agentId
      if (r.queueId !== undefined && existing && existing.queueId !== r.queueId) patch.queueId = r.queueId
      // The record just read (or written) in this job: update need not read it again.
      if (Object.keys(patch).length) await store.calls.update(r.callId, patch, current)
      if (r.answeredAt !== undefined) await store.ewt.resolve(r.callId, r.answeredAt)
      return
    }
    case 'offer-record': {
      // One row per agent leg, found again by the leg uuid (the daemon chose it: origination_uuid).
      let offer = await store.calls.findOfferByLeg(cmd.legId)
      if (!offer) {
        if (cmd.device === undefined) return // a leg of a call restored after a restart: its offer was not recorded by us
        offer = await store.calls.addOffer({
          callId: cmd.callId,
          agentId: cmd.agentId,
          offeredAt: cmd.at,
          legUuid: cmd.legId,
          device: cmd.device,
        })
      }
      const result = cmd.result ?? offer.result
      if (result === null) return
      await store.calls.finishOffer(offer.id, {
        result,
        ...(cmd.cause !== undefined ? { cause: cmd.cause } : {}),
        ...(cmd.answeredAt !== undefined ? { answeredAt: cmd.answeredAt } : {}),
        ...(cmd.endedAt !== undefined ? { endedAt: cmd.endedAt } : {}),
      })
      return
    }
    case 'agent-session':
      if (cmd.loggedIn) {
        await store.sessions.login(cmd.agentId, cmd.queueId, cmd.at)
        await store.sessions.setPaused(cmd.agentId, cmd.paused, cmd.paused ? (cmd.pauseReason ?? null) : null, cmd.at)
      } else {
        await store.sessions.logout(cmd.agentId, cmd.queueId || undefined)
      }
      return
    case 'agent-device':
      await store.agents.setActiveDevice(cmd.agentId, cmd.deviceIndex)
      return
    case 'ewt':
      await store.ewt.record({
        callId: cmd.callId,
        queueId: cmd.queueId,
        at: cmd.at,
        position: cmd.position,
        announcedSeconds: cmd.seconds,
      })
      return
    case 'callback-record':
      await store.callbacks.record(cmd.record)
      return
    case 'prompt-recorded':
      await store.prompts.put({
        tenantId: cmd.tenantId,
        queueId: cmd.queueId,
        language: cmd.language as Language,
        name: cmd.name,
        path: cmd.path,
      })
      return
    default:
      return
  }
}
