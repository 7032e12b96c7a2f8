/** A memo of fn() for one scrape; clear() forgets it at once (a new scrape, a replaced source). */
export interface PerScrape<T> {
  (): T;
  clear(): void;
}

/**
 * Memoises fn() for the current turn of the event loop. A scrape asks every metric for its values in
 * one synchronous pass, so metrics that share one source (process.memoryUsage(), a stats() snapshot)
 * read it once per scrape instead of once per metric; the next scrape reads it afresh.
 */
export function perScrape<T>(fn: () => T): PerScrape<T> {
  let cached: { value: T } | null = null;
  const read = (() => {
    if (cached === null) {
      const entry = { value: fn() };
      cached = entry;
      queueMicrotask(() => {
        if (cached === entry) cached = null;
      });
    }
    return cached.value;
  }) as PerScrape<T>;
  read.clear = () => {
    cached = null;
  };
  return read;
}
