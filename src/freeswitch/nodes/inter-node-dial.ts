/**
 * Reaching an agent whose phone is registered on another FreeSWITCH node (pure; no I/O). An agent leg is always
 * originated on the caller's node (so the bridge is local there); when the phone is registered on another node,
 * `user/<target>@<domain>` would fail on the caller's node with USER_NOT_REGISTERED (mod_sofia's user endpoint
 * looks only in its own registration database: inbound-originate-failures), so the leg is dialled through the
 * configured inter-node dial string instead, e.g. `sofia/internal/${target}@${nodeAddress}` (straight to the node
 * the phone is registered on) or `sofia/internal/${target}@proxy.example.net` (a SIP proxy in front of all nodes).
 * The template is checked when the configuration is loaded (src/config/spec.ts, freeswitch.interNodeDialString).
 */

/** The default inter-node dial string: an INVITE straight to the node the phone is registered on. */
export const DEFAULT_INTER_NODE_DIAL_STRING = 'sofia/internal/${target}@${nodeAddress}'

/** The SIP user and domain of a `user/<target>[@<domain>]` dial string (the softphone / desk-phone default). */
export function parseUserDial(dial: string): { target: string; domain: string } | undefined {
  const m = /^user\/([^@/\s]+)(?:@([^\s]+))?$/.exec(dial)
  return m ? { target: m[1], domain: m[2] ?? '' } : undefined
}

/** The inter-node dial string with its variables filled in. */
export function interNodeDial(
  template: string,
  vars: { target: string; domain: string; nodeAddress: string; node: string },
): string {
  return template.replace(/\$\{(target|domain|nodeAddress|node)\}/g, (_, name: keyof typeof vars) => vars[name])
}
