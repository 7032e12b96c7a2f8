#!/usr/bin/env node
// Fails early, with a clear message, when the Node running the npm scripts is not the one
// the project targets (.nvmrc). `npm install` puts the npm registry's `node@24` package first on the
// PATH of every npm script, so this only trips when node_modules is missing or stale.
import { readFileSync } from 'node:fs';

const wanted = Number.parseInt(readFileSync(new URL('../.nvmrc', import.meta.url), 'utf8').trim(), 10);
const major = Number.parseInt(process.versions.node.split('.')[0] ?? '0', 10);
if (major !== wanted) {
  process.stderr.write(
    `error ORG_NODE_VERSION: this project runs on Node ${wanted} (see .nvmrc), but ${process.execPath} is Node ${process.versions.node}.\n` +
      'Run `npm install` (or `npm ci`) at the repository root: it installs Node 24 from the npm registry into node_modules/.bin,\n' +
      'which npm scripts and turbo tasks use automatically. Or switch with `nvm use`.\n',
  );
  process.exit(1);
}
