/**
 * SIP registrations as the core sees them: CUSTOM sofia::register / unregister / expire events (user in
 * `username` or from-user, domain in `realm` or from-host: capture inbound-registration) and the list FreeSWITCH
 * holds at each (re)connect (`show registrations`) → `registration` core events. A user stays registered while any
 * of their contacts (registration Call-IDs) is.
 */
import type { Logger } from 'pino'
import type { CoreEvent } from '../../core/events.js'
import type { EslEvent } from '../esl/event.js'
import { addOne, deleteOne, sizeOf, type OneOrMany } from '../../util/one-or-many.js'

export class Registrations {
  readonly #emit: (event: CoreEvent) => void
  readonly #log: Logger
  /**
   * Registered SIP users (key user@domain, lower case) and the Call-IDs of their registrations (almost always one:
   * a string, a Set only from the second, src/util/one-or-many.ts).
   */
  readonly #contacts = new Map<string, { sipUser: string; domain: string; callIds: OneOrMany | undefined }>()

  constructor(emit: (event: CoreEvent) => void, log: Logger) {
    this.#emit = emit
    this.#log = log
  }

  /** A CUSTOM event: sofia::register / unregister / expire are mapped, other subclasses ignored. */
  onCustom(ev: EslEvent): void {
    const sub = ev.subclass
    if (sub !== 'sofia::register' && sub !== 'sofia::unregister' && sub !== 'sofia::expire') return
    const sipUser = ev.get('username') || ev.get('from-user') || ev.get('user')
    const domain = ev.get('realm') || ev.get('from-host') || ev.get('host') || ''
    if (!sipUser) return
    const callId = ev.get('call-id') ?? ''
    if (sub === 'sofia::register') this.#contactUp(sipUser, domain, callId)
    else this.#contactDown(sipUser, domain, callId)
  }

  /**
   * The registrations FreeSWITCH holds now (`show registrations`, read on every (re)connect): each is reported
   * registered, and users we had as registered who are not in the list any more (their unregister / expire went to
   * a lost connection) are reported unregistered.
   */
  fromSwitch(rows: readonly { sipUser: string; domain: string; token?: string }[]): void {
    const before = new Map(this.#contacts)
    this.#contacts.clear()
    for (const r of rows) this.#contactUp(r.sipUser, r.domain, r.token ?? '')
    for (const [key, c] of before) {
      if (!this.#contacts.has(key))
        this.#emit({ type: 'registration', sipUser: c.sipUser, domain: c.domain, registered: false })
    }
  }

  /** A contact of a SIP user registered (a refresh with the same Call-ID changes nothing). */
  #contactUp(sipUser: string, domain: string, callId: string): void {
    const key = `${sipUser}@${domain}`.toLowerCase()
    let c = this.#contacts.get(key)
    if (!c) this.#contacts.set(key, (c = { sipUser, domain, callIds: undefined }))
    c.callIds = addOne(c.callIds, callId)
    this.#emit({ type: 'registration', sipUser, domain, registered: true })
  }

  /**
   * A contact unregistered or expired. The user stays registered while another contact of theirs is: a phone that
   * rebooted registers with a new Call-ID, and its old registration expires ~90 s later (sofia::expire with the
   * old call-id, inbound-registration); a user may also register from two devices.
   */
  #contactDown(sipUser: string, domain: string, callId: string): void {
    const key = `${sipUser}@${domain}`.toLowerCase()
    const c = this.#contacts.get(key)
    if (c) {
      // '' = a registration read at start-up without its token: it cannot be told apart, so it does not count.
      c.callIds = deleteOne(deleteOne(c.callIds, callId), '')
      if (c.callIds !== undefined) {
        this.#log.debug(
          { sipUser, domain, callId, remaining: sizeOf(c.callIds) },
          'a contact went away; the user is still registered',
        )
        return
      }
      this.#contacts.delete(key)
    }
    this.#emit({ type: 'registration', sipUser, domain, registered: false })
  }
}
