export {
  BatchWriter,
  type BatchWriterOptions,
  type BatchWriterStats,
  type WriterDropReason,
} from './batch-writer.js';
export {
  type ConnectionConfig,
  connectionsFromEnv,
  parseConnectionUrl,
  type ResolvedConnection,
  redactUrl,
  resolveConnection,
} from './connection.js';
export { BINARY_COPY_TYPES, BinaryCopyEncoder } from './copy-binary.js';
export {
  createDatabase,
  type Database,
  type DatabaseHealth,
  type DatabaseOptions,
  type DatabaseStats,
  type LagOptions,
  type MonitorOptions,
  type NodeHealth,
} from './database.js';
export {
  classifyError,
  codeForSqlState,
  DATABASE_ERROR_CODES,
  DatabaseError,
  type DatabaseErrorCode,
  isRetryableCode,
} from './errors.js';
export { lsnDiff, parseLsn } from './lsn.js';
export {
  type PrimaryReplicationRow,
  type ReplicaState,
  type ReplicaStatus,
  type ReplicaTarget,
  ReplicationMonitor,
  type ReplicationMonitorEvents,
  type ReplicationMonitorOptions,
  type ReplicationMonitorStats,
} from './monitor.js';
export type { PoolOptions, PoolStats } from './node.js';
export type { RoutingStats } from './router.js';
export {
  CopyEncoder,
  copyText,
  copyValue,
  insertStatement,
  MAX_BIND_PARAMETERS,
  quoteIdentifier,
  rowsPerStatement,
} from './sql.js';
