// A service-like allocation workload: build, serialise and drop log entries through a bounded array.
const entries = [];
let bytes = 0;
const started = performance.now();
for (let i = 0; i < 300_000; i++) {
  const entry = {
    '@timestamp': new Date().toISOString(),
    message: `request ${i}`,
    http: { status: 200, path: `/orders/${i % 1000}` },
    tags: ['a', 'b'],
  };
  const line = JSON.stringify(entry);
  bytes += line.length;
  entries.push(line);
  if (entries.length > 1000) entries.splice(0, 200);
}
const ms = performance.now() - started;
const usage = process.resourceUsage();
process.stdout.write(
  JSON.stringify({ ms: Math.round(ms), maxRssMb: Math.round(usage.maxRSS / 1024), bytes }) + '\n',
);
