import type { SimUser } from './endpoints.js'
import type { Header } from './serialize.js'

/** Header sets of sofia::register / unregister / expire (captures: inbound-registration). */
export function registerHeaders(u: SimUser, kind: 'register' | 'unregister' | 'expire', expireEpoch = 0): Header[] {
  const contact = `"" <sip:${u.user}-0x${u.callId.slice(0, 12)}@127.0.0.1:${u.contactPort}>`
  const ua = 'koplus-sim phone'
  const userVars: Header[] = [
    ['sip_number_alias', u.user],
    ['sip_auth_username', u.user],
    ['sip_auth_realm', u.domain],
    ['number_alias', u.user],
    ['user_name', u.user],
    ['domain_name', u.domain],
    ['record_stereo', 'true'],
    ['default_gateway', 'example.com'],
    ['default_areacode', '918'],
    ['transfer_fallback_extension', 'operator'],
    ['toll_allow', 'domestic,international,local'],
    ['accountcode', u.user],
    ['user_context', 'default'],
    ['effective_caller_id_name', `Extension ${u.user}`],
    ['effective_caller_id_number', u.user],
    ['outbound_caller_id_name', 'FreeSWITCH'],
    ['outbound_caller_id_number', '0000000000'],
    ['callgroup', 'techsupport'],
  ]
  if (kind === 'register')
    return [
      ['profile-name', 'internal'],
      ['from-user', u.user],
      ['from-host', u.domain],
      ['presence-hosts', `${u.domain},${u.domain}`],
      ['contact', contact],
      ['call-id', u.callId],
      ['rpid', 'unknown'],
      ['status', 'Registered(UDP)'],
      ['expires', String(u.expiresSecs)],
      ['to-user', u.user],
      ['to-host', u.domain],
      ['network-ip', '127.0.0.1'],
      ['network-port', String(u.contactPort)],
      ['username', u.user],
      ['realm', u.domain],
      ['user-agent', ua],
      ...userVars,
    ]
  if (kind === 'unregister')
    return [
      ['profile-name', 'internal'],
      ['username', u.user],
      ['from-user', u.user],
      ['from-host', u.domain],
      ['contact', contact],
      ['call-id', u.callId],
      ['rpid', 'unknown'],
      ['realm', u.domain],
      ['network-ip', '127.0.0.1'],
      ['network-port', String(u.contactPort)],
      ['user-agent', ua],
      ['expires', '0'],
      ...userVars,
    ]
  return [
    ['profile-name', 'internal'],
    ['call-id', u.callId],
    ['user', u.user],
    ['username', u.user],
    ['host', u.domain],
    ['contact', contact],
    ['expires', String(expireEpoch)],
    ['user-agent', ua],
    ['realm', u.domain],
    ['network-ip', '127.0.0.1'],
    ['network-port', String(u.contactPort)],
  ]
}
