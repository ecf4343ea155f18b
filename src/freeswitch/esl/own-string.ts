/**
 * A copy of a string that does not keep alive the text it was cut from.
 *
 * V8 makes `text.slice(a, b)` of 13 characters or more a *sliced string*: a view that holds the whole parent text.
 * The event decoders cut header values out of the event's text (json-event.ts, event.ts), so a value kept after the
 * event — a channel's uuid as a map key, a caller's number in the engine — kept the whole event text with it: ~2.7 KB
 * of CHANNEL_PARK per waiting caller (measured with a heap snapshot of the daemon at 10,000 waiting,
 * bench/scale-daemon). Values handed out by `EslEvent#get` go through `ownString`.
 *
 * `' ' + s` is a cons string; slicing a cons string makes V8 flatten it into a new sequential string first, and the
 * slice is cut from that copy (37 characters for a uuid), not from the event text. Shorter strings are copied by
 * `slice` already. ~50 ns for a uuid; no regular expression, no Buffer.
 */
const SLICED_MIN_LENGTH = 13

export function ownString(s: string): string {
  return s.length < SLICED_MIN_LENGTH ? s : (' ' + s).slice(1)
}
