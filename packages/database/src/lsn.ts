/** Parses a PostgreSQL LSN such as `16/B374D848` into a byte position. */
export function parseLsn(text: string | null | undefined): bigint | null {
  if (typeof text !== 'string') return null;
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) return null;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Bytes from `behind` to `ahead`, never negative (the two are read at slightly different moments). */
export function lsnDiff(ahead: bigint | null, behind: bigint | null): number | null {
  if (ahead === null || behind === null) return null;
  const diff = ahead - behind;
  return diff > 0n ? Number(diff) : 0;
}
