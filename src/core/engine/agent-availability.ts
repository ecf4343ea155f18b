/**
 * Agent availability: the active device, its registration and busy state, whether an agent is free for an offer,
 * the dial string, the agent's language.
 */
import type { Device, Language } from '../model.js'
import { type AgentRt, type EngineState } from './engine-state.js'
import { memberQueues } from './apply-config.js'

export function activeDeviceOf(a: AgentRt): Device | undefined {
  return a.agent.devices[a.agent.activeDevice]
}

/** Mobiles count as registered; SIP devices must have a live registration in the tenant's domain. */
export function deviceRegistered(st: EngineState, a: AgentRt): boolean {
  if (a.regKey === undefined) {
    const d = activeDeviceOf(a)
    const domain = st.tenants.get(a.agent.tenantId)?.domain ?? ''
    a.regKey = !d ? null : d.type === 'mobile' ? '' : `${d.target}@${domain}`.toLowerCase()
  }
  if (a.regKey === '') return true
  if (a.regKey === null) return false
  if (st.registered.has(a.regKey)) return true
  // A single-tenant install: the tenant's domain need not be FreeSWITCH's (the built-in tenant is 'default',
  // FreeSWITCH's domain is often its IP address), so a registration of the user in any domain counts.
  const d = activeDeviceOf(a)
  return st.tenantByDomain.size === 1 && !!d && st.registeredIn.has(d.target.toLowerCase())
}

export function isDeviceBusy(st: EngineState, a: AgentRt): boolean {
  const d = activeDeviceOf(a)
  return !!d && st.busyDevices.has(d.target)
}

/**
 * Free to be offered a call now: logged in, not paused, not ringing/talking/wrapping up, device reachable, and not
 * in the short pause after a device that refused a leg at once (FAILED_DEVICE_PAUSE_MS).
 */
export function isFree(st: EngineState, a: AgentRt): boolean {
  return (
    a.queues.size > 0 &&
    !a.paused &&
    a.busy === 'none' &&
    (a.retryAt === undefined || a.retryAt <= st.now) &&
    deviceRegistered(st, a) &&
    !isDeviceBusy(st, a)
  )
}

export function dialStringOf(st: EngineState, a: AgentRt, d: Device): string {
  const domain = st.tenants.get(a.agent.tenantId)?.domain ?? ''
  let template =
    st.config.dialTemplates[d.type] ??
    (d.type === 'mobile' ? 'sofia/gateway/default/${target}' : 'user/${target}@${domain}')
  // The built-in tenant's domain 'default' is a placeholder, not a FreeSWITCH domain: dial `user/1001` and let
  // FreeSWITCH use its own default domain (as the captures do: `originate … user/1000 &park()` reaches the
  // registered phone; user/1001 → USER_NOT_REGISTERED, inbound-originate-failures / inbound-real-sip-agent).
  if (domain === '' || domain === 'default') template = template.replaceAll('@${domain}', '')
  return template.replaceAll('${target}', d.target).replaceAll('${domain}', domain)
}

export function agentLanguage(st: EngineState, a: AgentRt): Language {
  for (const q of a.queues) return st.queues.get(q)!.settings.language
  for (const q of memberQueues(st, a.agent.id)) return st.queues.get(q)!.settings.language
  return 'sv'
}
