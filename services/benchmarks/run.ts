/** `npm run bench` of the sample services: the whole stack against a hand-rolled one, then the Node-flag sizing. */
await import('./stack.ts');
await import('./sizing.ts');
