// Counts by state, built from the domain's own lists of states, so a state added to a list is counted everywhere.

/** A count for every state of `states`, 0 for those `found` has none of. */
export function countsFor<S extends string>(states: readonly S[], found: ReadonlyMap<string, number>): Record<S, number> {
  return Object.fromEntries(states.map((state) => [state, found.get(state) ?? 0])) as Record<S, number>
}

/** How many of each value `keys` yields. */
export function tally(keys: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1)
  return counts
}
