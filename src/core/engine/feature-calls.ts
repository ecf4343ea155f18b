/**
 * Feature-code calls: agents dialling *7x to log in/out, pause, choose a device, end wrap-up or record a prompt
 * (parsing in feature-codes.ts).
 */
import { recordingPath } from './configuration.js'
import type { Queue } from '../model.js'
import { QUEUE_PLANS } from '../model.js'
import {
  sayDeviceChosen,
  sayError,
  sayLoggedIn,
  sayLoggedOut,
  sayNotAllowedByPlan,
  sayNotMember,
  sayPaused,
  sayPromptSaved,
  sayRecordAfterBeep,
  sayRecordConfirm,
  sayUnknownQueue,
  sayUnpaused,
  sayWrapUpEnded,
} from '../speech/index.js'
import { parseFeatureCode, RECORDABLE_PROMPTS } from './feature-codes.js'
import {
  RECORD_CHOICE_TIMEOUT_SEC,
  RECORD_MAX_SEC,
  RECORD_SILENCE_SEC,
  CAUSE,
  type AgentRt,
  type FeatureRt,
  type EngineState,
  clearTimer,
  emit,
  newId,
  newToken,
  promptFiles,
  queueLog,
  setTimer,
} from './engine-state.js'
import { agentLanguage } from './agent-availability.js'
import { chooseDevice, loginAgent, logoutAgent, pauseAgent } from './agent-sessions.js'
import { tenantFor } from './queue-load.js'
import { endWrapUp } from './wrap-up.js'

/** An agent dialled *7x: identified by the authenticated SIP user in the tenant of the domain, never by caller id. */
export function featureCall(st: EngineState, callId: string, digits: string, sipUser: string, domain: string): void {
  if (st.features.has(callId)) return
  // The agent is the authenticated SIP user (never the caller id) of the tenant of the call's domain; with one
  // tenant that is any domain (#tenantFor), with several only the tenant whose domain it is.
  const tenant = tenantFor(st, domain)
  const agentRt =
    tenant && sipUser
      ? [...st.agents.values()].find((a) => a.agent.tenantId === tenant.id && a.agent.sipUser === sipUser)
      : undefined
  const f: FeatureRt = {
    callId,
    language: agentRt ? agentLanguage(st, agentRt) : 'sv',
    step: 'reply',
    agentId: agentRt?.agent.id,
    tenantId: tenant?.id,
  }
  st.features.set(callId, f)
  emit(st, { type: 'answer', callId })
  const parsed = parseFeatureCode(digits, st.config.featureCodes)
  if (!agentRt || !tenant || !parsed) {
    queueLog(st, 'FEATUREREFUSED', callId, '', agentRt?.agent.id ?? '', {
      digits,
      reason: !agentRt ? 'unknown sip user' : 'unknown code',
    })
    return featureReply(st, f, sayError())
  }
  const agentId = agentRt.agent.id
  const queueByNumber = (n: string): Queue | undefined =>
    [...st.queues.values()].find((q) => q.tenantId === tenant.id && q.number === n)
  const rest = parsed.rest.replace(/#$/, '')
  switch (parsed.action) {
    case 'login':
    case 'logout': {
      let ids: string[] | undefined
      if (rest) {
        const q = queueByNumber(rest)
        if (!q) return featureReply(st, f, sayUnknownQueue())
        ids = [q.id]
      }
      if (parsed.action === 'login') {
        const r = loginAgent(st, agentId, ids, 'phone')
        if (!r.ok) {
          const ids2 =
            r.reason === 'plan' ? sayNotAllowedByPlan() : r.reason === 'not-member' ? sayNotMember() : sayError()
          return featureReply(st, f, ids2)
        }
        return featureReply(st, f, sayLoggedIn(r.count, f.language))
      }
      const r = logoutAgent(st, agentId, ids, 'phone', 'feature code')
      return featureReply(st, f, r.count === 0 ? sayLoggedOut() : sayLoggedIn(r.count, f.language))
    }
    case 'device': {
      const n = Number(rest)
      if (!/^\d+$/.test(rest) || !chooseDevice(st, agentId, n - 1, 'phone'))
        return featureReply(st, f, ['invalid-entry'])
      return featureReply(st, f, sayDeviceChosen(agentRt.agent.devices[n - 1].type))
    }
    case 'pause': {
      const pausing = !agentRt.paused
      if (!pauseAgent(st, agentId, pausing, pausing && rest ? rest : undefined, 'phone'))
        return featureReply(st, f, sayLoggedIn(0, f.language))
      return featureReply(st, f, pausing ? sayPaused() : sayUnpaused())
    }
    case 'wrapUpEnd':
      if (agentRt.busy === 'wrap-up') endWrapUp(st, agentRt, 'phone')
      return featureReply(st, f, sayWrapUpEnded())
    case 'record':
      return startRecording(st, f, agentRt, rest, queueByNumber)
  }
}

function featureReply(st: EngineState, f: FeatureRt, ids: string[]): void {
  f.step = 'reply'
  f.token = newToken(st, 'feature', f.callId)
  emit(st, { type: 'play', callId: f.callId, files: promptFiles(st, ids, f.language), token: f.token })
}

export function featureHangup(st: EngineState, f: FeatureRt): void {
  f.step = 'done'
  f.token = undefined
  clearTimer(st, `feat:${f.callId}`)
  emit(st, { type: 'hangup', callId: f.callId, cause: CAUSE.normal })
  st.features.delete(f.callId)
}

/** *79<n>[<queue number>]: record prompt n (see RECORDABLE_PROMPTS) for the tenant or one queue. */
function startRecording(
  st: EngineState,
  f: FeatureRt,
  agent: AgentRt,
  rest: string,
  queueByNumber: (n: string) => Queue | undefined,
): void {
  const name = RECORDABLE_PROMPTS[rest.slice(0, 1)]
  if (!name) return featureReply(st, f, ['invalid-entry'])
  if (!QUEUE_PLANS.includes(agent.agent.plan)) return featureReply(st, f, sayNotAllowedByPlan())
  let queue: Queue | undefined
  if (rest.length > 1) {
    queue = queueByNumber(rest.slice(1))
    if (!queue) return featureReply(st, f, sayUnknownQueue())
    if (!st.members.has(`${agent.agent.id}|${queue.id}`)) return featureReply(st, f, sayNotMember())
    f.language = queue.settings.language
  }
  const queueId = queue?.id ?? null
  const id = newId(st, f.callId)
  const path = recordingPath(st.config, agent.agent.tenantId, queueId, f.language, name, id)
  f.record = { name, queueId, path }
  recordIntro(st, f)
}

function recordIntro(st: EngineState, f: FeatureRt): void {
  f.step = 'rec-intro'
  f.token = newToken(st, 'rec-intro', f.callId)
  emit(st, { type: 'play', callId: f.callId, files: promptFiles(st, sayRecordAfterBeep(), f.language), token: f.token })
}

export function featureStepDone(st: EngineState, f: FeatureRt): void {
  switch (f.step) {
    case 'reply':
      return featureHangup(st, f)
    case 'rec-intro':
      f.step = 'recording'
      f.token = newToken(st, 'record', f.callId)
      emit(st, {
        type: 'record',
        callId: f.callId,
        path: f.record!.path,
        maxSec: RECORD_MAX_SEC,
        silenceSec: RECORD_SILENCE_SEC,
        token: f.token,
      })
      return
    case 'recording':
      f.step = 'rec-review'
      f.token = newToken(st, 'rec-review', f.callId)
      emit(st, {
        type: 'play',
        callId: f.callId,
        files: [f.record!.path, ...promptFiles(st, sayRecordConfirm(), f.language)],
        token: f.token,
      })
      return
    case 'rec-review':
      f.step = 'rec-choice'
      f.token = undefined
      setTimer(st, `feat:${f.callId}`, st.now + RECORD_CHOICE_TIMEOUT_SEC * 1000)
      return
  }
}

/** After the playback: 1 keeps the recording, 2 records again. */
export function recordChoice(st: EngineState, f: FeatureRt, digit: string): void {
  if ((f.step !== 'rec-review' && f.step !== 'rec-choice') || !f.record) return
  if (digit !== '1' && digit !== '2') return
  clearTimer(st, `feat:${f.callId}`)
  if (f.step === 'rec-review') emit(st, { type: 'stop-audio', callId: f.callId })
  if (digit === '2') return recordIntro(st, f)
  emit(st, {
    type: 'prompt-recorded',
    tenantId: f.tenantId!,
    queueId: f.record.queueId,
    language: f.language,
    name: f.record.name,
    path: f.record.path,
  })
  queueLog(st, 'PROMPTRECORDED', f.callId, f.record.queueId ?? '', f.agentId ?? '', {
    name: f.record.name,
    path: f.record.path,
  })
  featureReply(st, f, sayPromptSaved())
}
