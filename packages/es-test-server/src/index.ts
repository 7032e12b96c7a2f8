export { startEsTestServer } from './server.js';
export type { EsFault, EsTestServer, EsTestServerOptions, StoredDoc } from './types.js';
