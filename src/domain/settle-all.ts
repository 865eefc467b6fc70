// Concurrent durable steps that must all finish before anyone hears how they went.

/**
 * Waits for every promise to settle, then throws the first failure (in order), if any: no write is left
 * running behind a failed one, and the caller's undo never races a step still in flight.
 */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason as unknown
  return results.map((r) => (r as PromiseFulfilledResult<T>).value)
}
