export {
  type EsFault,
  type EsTestServer,
  type EsTestServerOptions,
  type StoredDoc,
  startEsTestServer,
} from './server.js';
