/**
 * Many api commands over one Event Socket connection without a round trip each (issue 13, recovery): the commands
 * are written back to back, up to `window` unanswered at a time, and their replies come back in order
 * (mod_event_socket.c handles one command at a time per connection and answers each with one api/response frame:
 * src/freeswitch/esl/commands-queue.ts matches them FIFO). A rebuild with 1,000 channels then costs FreeSWITCH's
 * own time per `uuid_dump`, not 1,000 round trips through the event loop of both sides.
 */

/** Default commands in flight: enough to hide the round trip, few enough that no reply waits behind too many. */
export const PIPELINE_WINDOW = 128

/** `fn` over every item with at most `window` running at once; results in the items' order. */
export async function pipelined<T, R>(
  items: readonly T[],
  fn: (item: T) => Promise<R>,
  window = PIPELINE_WINDOW,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, items.length)) }, worker))
  return out
}
