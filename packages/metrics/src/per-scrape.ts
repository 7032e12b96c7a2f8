/**
 * Memoises fn() for the current turn of the event loop. A scrape asks every metric for its values in
 * one synchronous pass, so metrics that share one source (process.memoryUsage(), a stats() snapshot)
 * read it once per scrape instead of once per metric; the next scrape reads it afresh.
 */
export function perScrape<T>(fn: () => T): () => T {
  let cached: { value: T } | null = null;
  return () => {
    if (cached === null) {
      cached = { value: fn() };
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached.value;
  };
}
