/**
 * The FreeSWITCH adapter: FreeSWITCH channel events → core events, core commands → ESL. This file only wires the
 * parts together behind the surface the daemon uses:
 * - channels.ts: the table of live channels (calls, agent legs, audio, private calls) and the hang-up events;
 * - inbound.ts: ESL events → core events; registrations.ts: sofia register/unregister/expire;
 * - outbound.ts: core commands → ESL api / bgapi / sendmsg; dial.ts: the command strings;
 * - reconcile.ts: rebuild after a (re)connect from what restore.ts reads from FreeSWITCH.
 *
 * Nothing throws out of `handleEslEvent` or `execute`: ESL failures are logged with the call's ids and, when they
 * mean the channel is gone, turned into the hang-up event the core needs (once).
 */
import pino, { type Logger } from 'pino'
import type { Command } from '../../core/commands.js'
import type { CoreEvent } from '../../core/events.js'
import type { EslEvent } from '../esl/event.js'
import { ChannelTable } from './channels.js'
import { Inbound } from './inbound.js'
import { Outbound } from './outbound.js'
import type { EslPort } from './port.js'
import { Reconciler } from './reconcile.js'
import { Registrations } from './registrations.js'
import type { LiveChannels } from './restore.js'

export type { LiveCall, LiveChannels, LiveLeg } from './restore.js'

export interface AdapterOptions {
  /** Dialplan context for `transfer` (uuid_transfer <uuid> <dest> XML <context>); default 'default'. */
  transferContext?: string
  /** Turns a file id of a `play`/`hold-music` command into what FreeSWITCH plays (default: unchanged). */
  resolveFile?: (file: string) => string
  logger?: Logger
  /** The daemon's clock (epoch ms), for validating the koplus_* variables of a call from an earlier daemon. */
  now?: () => number
}

/** The FreeSWITCH adapter. Feed it every ESL event; give it every call/leg command the core returns. */
export class FreeSwitchAdapter {
  readonly #log: Logger
  readonly #table: ChannelTable
  readonly #registrations: Registrations
  readonly #outbound: Outbound
  readonly #reconciler: Reconciler
  readonly #inbound: Inbound
  /** Channels that hung up while a reading of FreeSWITCH was under way, one set per watch (see watchHangups). */
  readonly #watches = new Set<Set<string>>()

  /**
   * @param port the ESL client (or a fake): api / bgapi / sendmsg
   * @param emit receives every core event the adapter derives, in order
   */
  constructor(port: EslPort, emit: (event: CoreEvent) => void, opts: AdapterOptions = {}) {
    const log = (this.#log = opts.logger ?? pino({ level: 'silent' }))
    this.#table = new ChannelTable(emit, log)
    this.#registrations = new Registrations(emit, log)
    this.#outbound = new Outbound(port, this.#table, emit, log, {
      transferContext: opts.transferContext ?? 'default',
      resolveFile: opts.resolveFile ?? ((f) => f),
    })
    this.#reconciler = new Reconciler(this.#table, this.#outbound, emit, log)
    this.#inbound = new Inbound(
      this.#table,
      this.#registrations,
      this.#reconciler,
      emit,
      opts.now ?? (() => Date.now()),
    )
  }

  /** Call ids of the queue calls the adapter currently tracks. */
  knownCalls(): string[] {
    return this.#table.callIds()
  }

  /** Leg ids of the agent legs the adapter currently tracks (not yet ended). */
  knownLegs(): string[] {
    return this.#table
      .legs()
      .filter((l) => l.phase !== 'done')
      .map((l) => l.legId)
  }

  /** True if this adapter follows the channel (a queue/feature call or an agent leg not yet ended). */
  owns(uuid: string): boolean {
    return this.#table.tracked(uuid)
  }

  /**
   * Whether a reading of FreeSWITCH's channels holds something this adapter does not follow: a queue call, an
   * agent leg or a phone's private call it has not seen. The daemon's second look (src/daemon/freeswitch-link.ts)
   * reconciles only then.
   */
  hasUnknown(live: LiveChannels): boolean {
    const t = this.#table
    for (const id of live.calls.keys()) if (!t.tracked(id)) return true
    for (const id of live.legs.keys()) if (!t.tracked(id)) return true
    for (const id of live.privateCalls?.keys() ?? []) if (!t.isPrivateCall(id)) return true
    return false
  }

  /**
   * The FreeSWITCH behind this adapter is taken as lost (src/freeswitch/nodes: its connection stayed down past
   * the grace time): every call and leg it carried is reported ended with `cause`, and every registration it held
   * is reported gone. If it comes back, the rebuild after the reconnect restores what still lives there.
   */
  dropAll(cause: string): void {
    this.#table.dropAll(cause)
    this.#registrations.fromSwitch([])
  }

  /**
   * Notes every channel that hangs up from now on, until `stop()`: a reading of FreeSWITCH's channels (`show
   * channels` + `uuid_dump`, restore.ts) is a snapshot, and a channel listed in it may end before the reading is
   * reconciled. Its CHANNEL_HANGUP comes after the dump's reply on the one ordered socket, so every such channel is
   * in `ended` by the time the reading is used (prune it with restore.ts `withoutEnded`). Without this a rebuild
   * or second look under load restored callers who had already hung up and offered them to agents.
   */
  watchHangups(): { ended: ReadonlySet<string>; stop(): void } {
    const ended = new Set<string>()
    this.#watches.add(ended)
    return { ended, stop: () => this.#watches.delete(ended) }
  }

  /** Maps one ESL event; never throws. */
  handleEslEvent(ev: EslEvent): void {
    if (this.#watches.size > 0 && ev.name === 'CHANNEL_HANGUP' && ev.uuid) for (const w of this.#watches) w.add(ev.uuid)
    try {
      this.#inbound.handle(ev)
    } catch (err) {
      this.#log.error({ err, event: ev.name, callId: ev.uuid }, 'adapter: failed to map an ESL event')
    }
  }

  /**
   * The registrations FreeSWITCH holds now (`show registrations`, read on every (re)connect): each is reported
   * registered, and users we had as registered who are not in the list any more are reported unregistered.
   */
  registrationsFromSwitch(rows: readonly { sipUser: string; domain: string; token?: string }[]): void {
    this.#registrations.fromSwitch(rows)
  }

  /** True for the command types this adapter carries out (the daemon handles the rest). */
  static handles(cmd: Command): boolean {
    return Outbound.handles(cmd)
  }

  /**
   * Carries out one call/leg command. Its ESL commands are written to the socket before this returns (so commands
   * given one after the other reach FreeSWITCH in order); the promise resolves when FreeSWITCH has replied to them
   * (not when a prompt ends: that is reported as prompt-finished). Never rejects: failures are logged and, when the
   * channel is gone, reported to the core as call-hungup / leg-failed.
   */
  execute(cmd: Command): Promise<void> {
    return this.#outbound.execute(cmd)
  }

  /** A rebuild starts: arrivals are held until endRebuild. */
  beginRebuild(): void {
    this.#reconciler.begin()
  }

  /** The rebuild is over (or failed): the held arrivals are reported, restored callers in queue order first. */
  endRebuild(): void {
    this.#reconciler.end()
  }

  /**
   * Reconciles the adapter's view with what FreeSWITCH has now (from `LiveChannels`, see restore.ts):
   * calls and legs we track that are gone → call-hungup / leg-failed / leg-hungup; queue calls we do not track →
   * call-arrived with `restored`; agent legs of restored calls that were still ringing are cancelled (the core
   * lost their offer and will offer the call again).
   */
  reconcile(live: LiveChannels): Promise<void> {
    return this.#reconciler.reconcile(live)
  }
}
