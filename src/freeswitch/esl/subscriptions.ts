/**
 * The event subscription and filters a client wants, remembered so they can be replayed on
 * every (re)connection before the client reports ready.
 *
 * mod_event_socket's `event <format> <names...>` adds to the listener's set; every word after
 * `CUSTOM` is taken as a subclass name (mod_event_socket.c, parse_command "event"), so the
 * line is built as `event json NAME... CUSTOM sub::class...`. `ALL` covers every event,
 * custom ones included. `filter <header> <value>` adds to an allow-list: once any filter
 * exists, only events matching one of them are sent.
 */

/** Events the client itself needs (bgapi completion, execute completion and hang-up). */
export const REQUIRED_EVENTS = [
  'BACKGROUND_JOB',
  'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE',
  'CHANNEL_HANGUP',
  'PLAYBACK_STOP',
  'DTMF',
] as const

export class Subscriptions {
  #all = false
  #names = new Set<string>()
  #subclasses = new Set<string>()
  #custom = false
  #filters: Array<[string, string]> = []

  constructor(events: readonly string[] = ['ALL']) {
    this.add(events)
    this.add(REQUIRED_EVENTS)
  }

  /** Adds event names; an entry may hold several words, e.g. 'CUSTOM sofia::register'. */
  add(events: readonly string[]): void {
    for (const entry of events) {
      let custom = false
      for (const word of entry.split(/\s+/)) {
        if (!word) continue
        if (custom || word.includes('::')) {
          this.#subclasses.add(word)
        } else if (word.toUpperCase() === 'ALL') {
          this.#all = true
        } else if (word.toUpperCase() === 'CUSTOM') {
          custom = true
          this.#custom = true
        } else {
          this.#names.add(word.toUpperCase())
        }
      }
    }
  }

  /**
   * Whether an event of this name was asked for (ALL, or the name itself). CUSTOM events are always wanted here:
   * telling them apart needs the subclass, i.e. a decode.
   */
  wants(name: string): boolean {
    return this.#all || name === 'CUSTOM' || this.#names.has(name)
  }

  /** Remembers a filter; returns false if it was already there. */
  addFilter(header: string, value: string): boolean {
    if (this.#filters.some(([h, v]) => h === header && v === value)) return false
    this.#filters.push([header, value])
    return true
  }

  get filters(): ReadonlyArray<readonly [string, string]> {
    return this.#filters
  }

  /** The `event` command line (without the trailing blank line). */
  eventCommand(format: 'json' | 'plain'): string {
    if (this.#all) return `event ${format} ALL`
    const words = [...this.#names]
    if (this.#custom || this.#subclasses.size > 0) words.push('CUSTOM', ...this.#subclasses)
    return `event ${format} ${words.join(' ')}`
  }

  /** The `filter` command lines. */
  filterCommands(): string[] {
    return this.#filters.map(([h, v]) => `filter ${h} ${v}`)
  }
}
