/**
 * A set of strings that usually holds one: the string itself, a Set only from the second member on. Per registered
 * phone the daemon keeps a few such sets (its registrations' Call-IDs, the FreeSWITCH nodes holding it, its
 * user@domain keys), almost always of one member: a Set with its hash table costs ~150 bytes of heap, the string
 * nothing more (issue 13: memory per logged-in agent).
 *
 * The functions return the new value; `undefined` is the empty set. Pure, no I/O.
 */
export type OneOrMany = string | Set<string>

/** `set` with `x` added. */
export function addOne(set: OneOrMany | undefined, x: string): OneOrMany {
  if (set === undefined || set === x) return x
  if (typeof set === 'string') return new Set([set, x])
  set.add(x)
  return set
}

/** `set` without `x` (undefined when nothing is left; a Set left with one member becomes that string). */
export function deleteOne(set: OneOrMany | undefined, x: string): OneOrMany | undefined {
  if (set === undefined || typeof set === 'string') return set === x ? undefined : set
  set.delete(x)
  if (set.size > 1) return set
  for (const only of set) return only
  return undefined
}

export function hasOne(set: OneOrMany | undefined, x: string): boolean {
  return set === undefined ? false : typeof set === 'string' ? set === x : set.has(x)
}

export function sizeOf(set: OneOrMany | undefined): number {
  return set === undefined ? 0 : typeof set === 'string' ? 1 : set.size
}

/** The members, in the order they were added. */
export function membersOf(set: OneOrMany | undefined): string[] {
  return set === undefined ? [] : typeof set === 'string' ? [set] : [...set]
}
