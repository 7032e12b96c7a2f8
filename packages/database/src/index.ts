export {
  BatchWriter,
  type BatchWriterOptions,
  type BatchWriterStats,
  type WriterDropReason,
} from './batch-writer.js';
export { classifyError } from './classify.js';
export {
  type ColumnKind,
  type ColumnProblem,
  type ColumnSpec,
  type ColumnType,
  columnChecks,
  type RowChecks,
} from './column-checks.js';
export { connectionsFromEnv, type ResolvedConnection } from './connection.js';
export { type ConnectionConfig, parseConnectionUrl } from './connection-url.js';
export {
  createDatabase,
  type Database,
  type DatabaseHealth,
  type DatabaseOptions,
  type DatabaseStats,
  type LagOptions,
  type MonitorOptions,
  type NodeHealth,
  type RetryOptions,
  type TransactionOptions,
} from './database.js';
export { DATABASE_ERROR_CODES, DatabaseError, type DatabaseErrorCode } from './errors.js';
export { ReplicationMonitor } from './monitor.js';
export type {
  PrimaryReplicationRow,
  ReplicaState,
  ReplicaStatus,
  ReplicaTarget,
  ReplicationMonitorEvents,
  ReplicationMonitorOptions,
  ReplicationMonitorStats,
} from './monitor-types.js';
export type { PoolOptions, PoolStats } from './node.js';
export { redactUrl } from './redact.js';
export type { RoutingStats } from './router.js';
