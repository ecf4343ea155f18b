/**
 * Outbound: the core's call/leg commands → ESL api / bgapi / sendmsg (captures in ../shared/esl-captures, see its
 * README "What these captures teach").
 * - Prompts are `playback` run with EslClient.execute (event-lock, the client's Event-UUID, settled on the matching
 *   CHANNEL_EXECUTE_COMPLETE: inbound-sendmsg) → prompt-finished. A playback stopped by uuid_break still answers
 *   "FILE PLAYED" (inbound-moh-break), so "interrupted" is what we know: we broke it, or a terminator was used.
 * - Hold music is `playback` with the sendmsg header `loops: -1`: uuid_break ends it, keys are reported
 *   (inbound-moh-break, inbound-dtmf). Not endless_playback: uuid_break only restarts that.
 * - Offers: one bgapi originate (one per leg when a leg must confirm with 1); legs are known by origination_uuid =
 *   legId. The job's `-ERR CAUSE` for legs that never got a channel (USER_NOT_REGISTERED, SUBSCRIBER_ABSENT:
 *   inbound-originate-failures) → leg-failed for each leg still unresolved.
 * - Bridge: uuid_setvar park_after_bridge true, then uuid_bridge (inbound-queue-call-pab).
 * - Callback (docs/callback.md): the called-back person's leg is an originated leg like an agent's (origination_uuid,
 *   `&park()`); `bridge-legs` joins it with the agent's leg by uuid_bridge without park_after_bridge, so when one
 *   side hangs up FreeSWITCH hangs up the other (switch_ivr_uuid_bridge: the survivor is hung up unless
 *   park_after_bridge / hangup_after_bridge say otherwise; the simulator does the same). The core hangs it up too.
 *
 * Nothing rejects out of `execute`: ESL failures are logged on the call's logger and, when they mean the channel
 * is gone, turned into the hang-up event the core needs (once, through the ChannelTable).
 */
import type { Logger } from 'pino'
import type { Command } from '../../core/commands.js'
import type { CoreEvent } from '../../core/events.js'
import { EslChannelGoneError, EslCommandError, EslDisconnectedError } from '../esl/errors.js'
import type { ChannelTable, PlayState } from './channels.js'
import { hangupCause, jobFailureCause, originateCommand, playbackArgument } from './dial.js'
import { executeVia, type EslPort } from './port.js'
import type { ExecutionResult } from '../esl/executions.js'

/** A `-ERR …` reply (an api body, or an EslCommandError's reply) saying the channel does not exist any more. */
const NO_SUCH_CHANNEL = /no such channel/i

interface OutboundOptions {
  /** Dialplan context for `transfer` (uuid_transfer <uuid> <dest> XML <context>). */
  transferContext: string
  /** Turns a file id of a `play`/`hold-music` command into what FreeSWITCH plays. */
  resolveFile: (file: string) => string
}

/** Carries out the core's call/leg commands over ESL. */
export class Outbound {
  readonly #port: EslPort
  readonly #table: ChannelTable
  readonly #emit: (event: CoreEvent) => void
  readonly #log: Logger
  readonly #transferContext: string
  readonly #resolve: (file: string) => string

  constructor(
    port: EslPort,
    table: ChannelTable,
    emit: (event: CoreEvent) => void,
    log: Logger,
    opts: OutboundOptions,
  ) {
    this.#port = port
    this.#table = table
    this.#emit = emit
    this.#log = log
    this.#transferContext = opts.transferContext
    this.#resolve = opts.resolveFile
  }

  /** True for the command types this adapter carries out (the daemon handles the rest). */
  static handles(cmd: Command): boolean {
    switch (cmd.type) {
      case 'answer':
      case 'pre-answer':
      case 'play':
      case 'hold-music':
      case 'stop-audio':
      case 'set-vars':
      case 'originate':
      case 'hangup-leg':
      case 'play-leg':
      case 'bridge':
      case 'bridge-legs':
      case 'hangup':
      case 'transfer':
      case 'record':
        return true
      default:
        return false
    }
  }

  /** See FreeSwitchAdapter.execute. */
  execute(cmd: Command): Promise<void> {
    let pending: Promise<unknown>[]
    try {
      pending = this.#execute(cmd)
    } catch (err) {
      this.#failed(cmd, err)
      return Promise.resolve()
    }
    return Promise.all(pending.map((p) => p.catch((err: unknown) => this.#failed(cmd, err)))).then(() => undefined)
  }

  /** Issues the ESL commands of `cmd` synchronously; returns their replies. */
  #execute(cmd: Command): Promise<unknown>[] {
    switch (cmd.type) {
      case 'answer':
        return [this.#detach(cmd, this.#port.execute(cmd.callId, 'answer'))]
      case 'pre-answer':
        return [this.#detach(cmd, this.#port.execute(cmd.callId, 'pre_answer'))]
      case 'play':
        return [this.play(cmd.callId, cmd.token, 'play', playbackArgument(cmd.files.map(this.#resolve)))]
      case 'hold-music':
        return [this.play(cmd.callId, '', 'hold', this.#resolve(cmd.source), { loops: -1 })]
      case 'stop-audio':
        this.#table.interruptPlays(cmd.callId)
        return [this.api(`uuid_break ${cmd.callId} all`, cmd.callId)]
      case 'set-vars':
        // One uuid_setvar per variable: values are free text and uuid_setvar_multi splits on ';'.
        return Object.entries(cmd.vars).map(([k, v]) => this.api(`uuid_setvar ${cmd.callId} ${k} ${v}`, cmd.callId))
      case 'originate':
        return [this.#originate(cmd)]
      case 'hangup-leg':
        // A leg that already ended (e.g. a LOSE_RACE loser the core cancels) needs no uuid_kill.
        if (!this.#table.isLeg(cmd.legId)) return []
        return [this.api(`uuid_kill ${cmd.legId} ${hangupCause(cmd.cause)}`, cmd.legId)]
      case 'play-leg': {
        // Digits pressed during playback are reported as DTMF events (inbound-dtmf: also the terminator); with
        // collectDigit any key ends the prompt, so the agent need not hear it out.
        const setvar = cmd.collectDigit
          ? [this.api(`uuid_setvar ${cmd.legId} playback_terminators any`, cmd.legId)]
          : []
        return [...setvar, this.play(cmd.legId, cmd.token, 'play', playbackArgument(cmd.files.map(this.#resolve)))]
      }
      case 'bridge': {
        this.#table.interruptPlays(cmd.callId)
        return [
          this.api(`uuid_setvar ${cmd.callId} park_after_bridge true`, cmd.callId),
          this.#bridge(cmd.callId, cmd.legId),
        ]
      }
      case 'bridge-legs':
        this.#table.interruptPlays(cmd.legId)
        this.#table.interruptPlays(cmd.otherLegId)
        return [this.#bridge(cmd.legId, cmd.otherLegId)]
      case 'hangup':
        return [this.#port.sendmsg(cmd.callId, { 'call-command': 'hangup', 'hangup-cause': hangupCause(cmd.cause) })]
      case 'transfer': {
        // The caller leaves koplus (the core has forgotten them). Stop tracking the channel, and clear its koplus
        // variables first, so that (a) a forward to another koplus queue — whose dialplan sets koplus_queue again
        // and parks — is a new arrival there, not "a repeated park" of a known call, and (b) a rebuild after a
        // restart does not take a forwarded call back into the queue (restore.ts reads variable_koplus_queue).
        // uuid_setvar without a value unsets the variable (mod_commands uuid_setvar_function: "<uuid> <var>
        // [value]", argc 2 → switch_channel_set_variable(channel, var, NULL)). Commands go out in this order.
        this.#table.forgetCall(cmd.callId)
        const unset = ['koplus_queue', 'koplus_seq', 'koplus_joined_at', 'koplus_announce'].map((v) =>
          this.api(`uuid_setvar ${cmd.callId} ${v}`, cmd.callId),
        )
        return [
          ...unset,
          this.api(`uuid_transfer ${cmd.callId} ${cmd.destination} XML ${this.#transferContext}`, cmd.callId),
        ]
      }
      case 'record':
        return [
          this.api(`uuid_setvar ${cmd.callId} playback_terminators #`, cmd.callId),
          // record <path> <time_limit_secs> <silence_thresh> <silence_hits> (mod_dptools record; inbound-record).
          this.play(cmd.callId, cmd.token, 'record', `${cmd.path} ${cmd.maxSec} 200 ${cmd.silenceSec}`),
        ]
      default:
        return []
    }
  }

  /** Waits for an application's end in the background (errors handled as usual); resolves at once. */
  #detach(cmd: Command, done: Promise<unknown>): Promise<unknown> {
    done.catch((err: unknown) => this.#failed(cmd, err))
    return Promise.resolve()
  }

  /**
   * Runs playback / record and reports prompt-finished for it when it ends (not for hold music). Prompts to agent
   * legs (whisper, mobile confirmation) are reported too, with the leg id as `callId`: the core waits for the
   * whisper's end to bridge, and for the confirmation prompt's end to start the agent's time to press 1. The
   * returned promise settles at once with the sendmsg reply's fate only as far as errors go: the wait
   * for the end runs detached.
   */
  play(
    channel: string,
    token: string,
    kind: PlayState['kind'],
    arg: string,
    opts?: { loops: number },
  ): Promise<unknown> {
    const table = this.#table
    const play: PlayState = { channel, token, kind, interrupted: false, arg }
    table.plays.add(play)
    // A newer play on the channel supersedes one lost to a disconnect.
    table.lostPlays.delete(channel)
    // The handlers hold only `this` and the play: a waiting caller's hold music waits here for minutes, and a
    // closure over every local was ~60 bytes more per waiting caller (issue 13, bench/scale-daemon heap snapshots).
    executeVia(this.#port, channel, kind === 'record' ? 'record' : 'playback', arg, opts, (err, result) => {
      if (err) this.#playFailed(play, err)
      else this.#played(play, result!)
    })
    return Promise.resolve()
  }

  #played(play: PlayState, result: ExecutionResult): void {
    const table = this.#table
    table.plays.delete(play)
    if (play.kind === 'hold' || !table.tracked(play.channel)) return
    const terminator = result.event?.variable('playback_terminator_used')
    const interrupted = play.interrupted || (play.kind === 'play' && !!terminator)
    this.#emit({ type: 'prompt-finished', callId: play.channel, token: play.token, interrupted })
  }

  #playFailed(play: PlayState, err: unknown): void {
    const table = this.#table
    const { channel, kind } = play
    table.plays.delete(play)
    if (err instanceof EslChannelGoneError) {
      table.channelGone(channel, err.hangupCause)
      return
    }
    const app = kind === 'record' ? 'record' : 'playback'
    const log = table.logFor(channel)
    if (err instanceof EslDisconnectedError) {
      // Not a failure of the playback: FreeSWITCH plays on (calls survive a lost connection,
      // inbound-reconnect-1/2), but its end is reported on the old connection. Reporting it finished now
      // would make the core start the next audio on a dead connection, and the caller would hear silence
      // after the prompt. `reconcile` settles it after the reconnect (journey-restart.test.ts).
      if (table.isCall(channel) && !play.interrupted) table.lostPlays.set(channel, play)
      log.debug({ app, kind }, 'playback outcome lost with the ESL connection')
      return
    }
    log.warn({ app, err }, 'playback failed')
    // The core must not wait forever for this prompt: report it as interrupted.
    if (kind !== 'hold' && table.tracked(channel))
      this.#emit({ type: 'prompt-finished', callId: channel, token: play.token, interrupted: true })
  }

  #originate(cmd: Extract<Command, { type: 'originate' }>): Promise<unknown> {
    for (const l of cmd.legs) this.#table.addLeg(l.legId, cmd.callId, cmd.offerId, l.agentId, 'dialing', false)
    this.#table.logFor(cmd.callId).debug(
      {
        offerId: cmd.offerId,
        legs: cmd.legs.map((l) => ({ legId: l.legId, agentId: l.agentId, dial: l.dialString })),
      },
      'originate',
    )
    // One originate rings all legs and FreeSWITCH ends the others with LOSE_RACE at the first answer
    // (inbound-parallel-ring). A leg that must confirm (mobile: press 1) has not taken the call when it answers —
    // it may be a voicemail — so then every leg gets its own originate and the core decides the winner, cancelling
    // the others itself with uuid_kill ORIGINATOR_CANCEL (hangup-leg).
    const groups = cmd.legs.length > 1 && cmd.legs.some((l) => l.confirm) ? cmd.legs.map((l) => [l]) : [cmd.legs]
    for (const legs of groups) {
      const part = groups.length === 1 ? cmd : { ...cmd, legs }
      this.#port.bgapi(originateCommand(part)).then(
        (result) => {
          const cause = result.ok ? undefined : (jobFailureCause(result.body) ?? 'UNKNOWN')
          if (!cause) return
          // Legs that got a channel were resolved by their CHANNEL_HANGUP; the rest never existed.
          for (const l of part.legs) {
            const leg = this.#table.leg(l.legId)
            if (leg && (leg.phase === 'dialing' || leg.phase === 'ringing')) this.#table.legGone(leg, cause)
          }
        },
        (err: unknown) => this.#failed(part, err),
      )
    }
    return Promise.resolve()
  }

  async #bridge(callId: string, legId: string): Promise<void> {
    const reply = await this.#port.api(`uuid_bridge ${callId} ${legId}`)
    if (/^\s*-ERR/.test(reply)) {
      this.#table.logFor(legId).warn({ reply: reply.trim() }, 'uuid_bridge failed')
      const call = this.#table.call(callId)
      if (call) call.awaitingParkAfterBridge = false
      await Promise.all([this.#checkGone(callId), this.#checkGone(legId)])
    }
  }

  /** api command on a channel; a `-ERR No such channel` reply means the channel is gone. */
  async api(command: string, uuid: string): Promise<void> {
    const reply = await this.#port.api(command)
    if (/^\s*-ERR/.test(reply)) {
      this.#table.logFor(uuid).warn({ command: command.split(' ')[0], reply: reply.trim() }, 'ESL api command failed')
      if (NO_SUCH_CHANNEL.test(reply)) this.#table.channelGone(uuid)
    }
  }

  /** uuid_exists; true when unsure (an error), so nothing is reported gone by mistake. */
  async exists(uuid: string): Promise<boolean> {
    try {
      return (await this.#port.api(`uuid_exists ${uuid}`)).trim() !== 'false'
    } catch {
      return true
    }
  }

  async #checkGone(uuid: string): Promise<void> {
    try {
      const r = await this.#port.api(`uuid_exists ${uuid}`)
      if (r.trim() === 'false') this.#table.channelGone(uuid)
    } catch {
      /* disconnected: the rebuild after reconnect settles it */
    }
  }

  #failed(cmd: Command, err: unknown): void {
    const target = 'callId' in cmd ? cmd.callId : 'legId' in cmd ? cmd.legId : undefined
    const log = target ? this.#table.logFor(target) : this.#log
    log.warn({ command: cmd.type, err }, 'ESL command failed')
    if (!target) return
    if (err instanceof EslChannelGoneError || (err instanceof EslCommandError && NO_SUCH_CHANNEL.test(err.reply))) {
      this.#table.channelGone(target, err instanceof EslChannelGoneError ? err.hangupCause : undefined)
      return
    }
    if (cmd.type === 'originate' && !(err instanceof EslDisconnectedError)) {
      // FreeSWITCH refused the originate outright: none of its legs will ring. (After a disconnect the originate
      // may still be running: the rebuild after reconnect settles its legs.)
      for (const l of cmd.legs) {
        const leg = this.#table.leg(l.legId)
        if (leg) this.#table.legGone(leg, 'ORIGINATOR_CANCEL')
      }
    }
  }
}
