/** Test helpers of @org/shared-logger (import from '@org/shared-logger/testing'). Dependency-free: node:http only. */
export {
  type EsFault,
  type EsTestServer,
  type EsTestServerOptions,
  type StoredDoc,
  startEsTestServer,
} from './es-test-server.js';
