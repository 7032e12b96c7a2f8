#!/usr/bin/env node
// The org-endurance command: the compiled CLI (dist/cli.js; `npm run build` first in this repository).
import '../dist/cli.js';
