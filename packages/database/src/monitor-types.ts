import type { BackoffOptions, ErrorReporter } from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import type { DatabaseError } from './errors.js';

/** The replication monitor's options, its per-replica status, stats and events. */
export type ReplicaState = 'unknown' | 'up' | 'lagging' | 'down';

export interface ReplicaTarget {
  name: string;
  knex: Knex;
}

export interface ReplicationMonitorOptions {
  primary: Knex;
  replicas: readonly ReplicaTarget[];
  /** Delay between the end of one poll and the start of the next. Default 2 000 ms. */
  intervalMs?: number;
  /** Each poll query is abandoned after this. Default 5 000 ms. */
  pollTimeoutMs?: number;
  /** A replica further behind than this (seconds of replay) is 'lagging'. Default 5. */
  maxLagSeconds?: number;
  /** A replica further behind than this (bytes of WAL) is 'lagging'. Default 16 MiB. */
  maxLagBytes?: number;
  /** Backoff before a failed replica is polled again. Default 1 s doubling to 30 s, jitter 0.5. */
  retry?: BackoffOptions;
  /** Poll once right away on start(). Default true. */
  pollOnStart?: boolean;
  /** Deadline of close() when none is given. Default 5 000 ms. */
  closeTimeoutMs?: number;
  onError?: ErrorReporter;
  now?: () => number;
}

export interface ReplicaStatus {
  name: string;
  state: ReplicaState;
  /** pg_is_in_recovery() at the last successful poll. */
  inRecovery: boolean | null;
  /** WAL bytes between the primary's current LSN and the replica's replay LSN. */
  lagBytes: number | null;
  /** Seconds of replay lag: 0 when everything received is replayed, else the age of the last replayed commit. */
  lagSeconds: number | null;
  receiveLsn: string | null;
  replayLsn: string | null;
  replayPaused: boolean | null;
  /** Consecutive failed polls (0 when up). */
  failures: number;
  lastPollAt: number | null;
  /** Code of the last error, e.g. ORG_DATABASE_CONNECTION. */
  lastError: string | null;
  /** When a down replica is polled again (ms since epoch), null when not down. */
  nextRetryAt: number | null;
}

/** One row of the primary's pg_stat_replication. */
export interface PrimaryReplicationRow {
  applicationName: string | null;
  clientAddr: string | null;
  state: string | null;
  replayLsn: string | null;
  replayLagBytes: number | null;
  replayLagSeconds: number | null;
}

export interface ReplicationMonitorStats {
  polls: number;
  pollErrors: number;
  /**
   * Replicas taken out of the rotation between polls: a query on one failed with a connection-class
   * error, or its pool could not open a connection to it.
   */
  failovers: number;
  running: boolean;
  primaryReachable: boolean | null;
  primaryLsn: string | null;
  replicas: ReplicaStatus[];
  /** What the primary sees in pg_stat_replication (empty without the privilege to read it). */
  replication: PrimaryReplicationRow[];
}

export interface ReplicationMonitorEvents {
  'replica-up': [status: ReplicaStatus];
  'replica-down': [status: ReplicaStatus, error: DatabaseError];
  lag: [status: ReplicaStatus];
  status: [status: ReplicaStatus, previous: ReplicaState];
  poll: [stats: ReplicationMonitorStats];
}
