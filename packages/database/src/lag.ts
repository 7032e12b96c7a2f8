import { lsnDiff } from './lsn.js';

/**
 * Fewer bytes than this between two WAL positions cannot hold an unreplayed record (a record header
 * alone is 24 bytes): it is the alignment padding left at the end of a full page plus the next page's
 * header, which the write and receive positions skip past. An idle primary can sit there for good.
 */
export const WAL_SLACK_BYTES = 64;

export interface ReplicaLagInput {
  primaryLsn: bigint | null;
  receiveLsn: bigint | null;
  replayLsn: bigint | null;
  /** now() - pg_last_xact_replay_timestamp(), in seconds. */
  replayAgeSeconds: number | null;
  maxLagBytes: number;
}

/**
 * Lag of one replica in bytes (primary's WAL position minus the replica's replay position) and in
 * seconds. On an idle primary pg_last_xact_replay_timestamp() keeps ageing while nothing is written,
 * so the lag in seconds is 0 whenever nothing is pending: the replica has replayed all the primary
 * wrote, or everything it received (right after a restart the receive position is the start of the
 * segment streaming resumed from, behind what was already replayed), give or take WAL_SLACK_BYTES.
 */
export function replicaLag(input: ReplicaLagInput): { lagBytes: number | null; lagSeconds: number | null } {
  const lagBytes = lsnDiff(input.primaryLsn, input.replayLsn);
  const nothingPending = lagBytes !== null && lagBytes < WAL_SLACK_BYTES;
  const caughtUp =
    input.receiveLsn !== null &&
    input.replayLsn !== null &&
    (lsnDiff(input.receiveLsn, input.replayLsn) ?? 0) < WAL_SLACK_BYTES &&
    (lagBytes ?? 0) <= input.maxLagBytes;
  return { lagBytes, lagSeconds: nothingPending || caughtUp ? 0 : input.replayAgeSeconds };
}
