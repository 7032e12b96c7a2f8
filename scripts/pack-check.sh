#!/usr/bin/env bash
# pack-check.sh: the public packages as a team outside this repository gets them. Builds, `npm pack`s
# every public workspace package, installs the tarballs with a plain `npm install` into a temporary
# project outside the monorepo (no workspace links), typechecks a small service against the installed
# types, runs it (it must start, answer /health and its route, and exit 0 on SIGTERM) and checks its
# start-up errors. With DATABASE_URL set (CI: the harness) the service uses the database too.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="$repo/node_modules/.bin:$PATH"
work="$(mktemp -d /tmp/org-pack-check.XXXXXX)"
pid=
cleanup() {
  if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "pack-check: FAILED: $*" >&2; exit 1; }

cd "$repo"
tsc --build
mkdir -p "$work/tarballs" "$work/app"
mapfile -t public < <(node -e '
  const { readdirSync, readFileSync, existsSync } = require("node:fs");
  for (const dir of readdirSync("packages")) {
    const file = `packages/${dir}/package.json`;
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    if (!pkg.private) console.log(pkg.name);
  }')
[[ ${#public[@]} -gt 0 ]] || fail "no public package found"
for name in "${public[@]}"; do
  npm pack --silent --workspace="$name" --pack-destination "$work/tarballs" >/dev/null
done
for tgz in "$work"/tarballs/*.tgz; do
  listing="$(tar -tzf "$tgz")"
  grep -qx 'package/dist/index.js' <<<"$listing" || fail "$(basename "$tgz") has no dist/index.js"
  grep -qx 'package/README.md' <<<"$listing" || fail "$(basename "$tgz") has no README.md"
  if grep -Eq '^package/(test|benchmarks)/|\.tsbuildinfo$' <<<"$listing"; then
    fail "$(basename "$tgz") ships tests, benchmarks or build info"
  fi
done
echo "pack-check: packed ${#public[@]} packages: $(cd "$work/tarballs" && ls | tr '\n' ' ')"

cd "$work/app"
cat >package.json <<'EOF'
{ "name": "pack-check-app", "version": "1.0.0", "private": true, "type": "module" }
EOF
# As @org/shared-leakcheck's README tells a team: memlab brings puppeteer, whose browser download is off.
echo 'module.exports = { skipDownload: true };' >.puppeteerrc.cjs
npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz @types/node@24 >/dev/null
[[ -L node_modules/@org/shared-service ]] && fail "installed as a link, not from the tarball"

cat >main.ts <<'EOF'
import { createService, runServiceCli, str } from '@org/shared-service';

const specs = { GREETING: str({ desc: 'How to greet.', default: 'hello' }) };

process.exitCode = await runServiceCli({
  name: 'pack-check',
  version: '1.0.0',
  summary: 'a service built from the packed tarballs',
  specs,
  migrate: async () => [],
  start: async (config) => {
    const service = await createService({ name: 'pack-check', version: '1.0.0', specs, config, database: true });
    service.app.get('/hello', async (req, res) => {
      const { rows } = await service.database.read(req).raw('select 1 as one');
      service.logger.info('greeted');
      res.json({ greeting: config.GREETING, one: rows[0].one });
    });
    return service.listen();
  },
});
EOF
cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "es2024", "module": "nodenext", "moduleResolution": "nodenext", "strict": true,
    "types": ["node"], "noEmit": true, "skipLibCheck": true
  },
  "files": ["main.ts"]
}
EOF
# The published types resolve and the code agrees with them (third-party .d.ts are not checked, as in the repo).
tsc -p tsconfig.json || fail "the service does not typecheck against the installed packages"

# Start-up errors a team meets first: production without DATABASE_URL (exit 78, says what to set) …
set +e
out="$(env -u DATABASE_URL NODE_ENV=production PORT=0 node main.ts 2>&1)"
code=$?
set -e
[[ $code -eq 78 && "$out" == *ORG_SERVICE_DATABASE_REQUIRED*DATABASE_URL* ]] ||
  fail "production without DATABASE_URL: exit $code: $out"
# … and development without DATABASE_URL and without PGlite installed (says what to install).
set +e
out="$(env -u DATABASE_URL NODE_ENV=development PORT=0 node main.ts 2>&1)"
code=$?
set -e
[[ $code -ne 0 && "$out" == *ORG_SERVICE_EMBEDDED_PG_FAILED*"npm install -D @electric-sql/pglite"* ]] ||
  fail "development without PGlite: exit $code: $out"

if [[ -z "${DATABASE_URL:-}" ]]; then
  echo "pack-check: DATABASE_URL is unset: start the harness (bash scripts/pg-harness.sh start) for the run" >&2
  fail "DATABASE_URL required for the running check"
fi
NODE_ENV=production SHUTDOWN_DRAIN_MS=200 PORT=0 node main.ts >"$work/out.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 150); do
  url="$(sed -n 's/.*listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$work/out.log" | head -1)"
  [[ -n "$url" ]] && break
  kill -0 "$pid" 2>/dev/null || fail "the service exited during start-up: $(cat "$work/out.log")"
  sleep 0.2
done
[[ -n "$url" ]] || fail "the service did not print its URL: $(cat "$work/out.log")"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" == 200 ]] || fail "/health is not 200"
body="$(curl -s "$url/hello")"
[[ "$body" == '{"greeting":"hello","one":1}' ]] || fail "/hello answered $body"
kill -TERM "$pid"
set +e
wait "$pid"
code=$?
set -e
pid=
[[ $code -eq 0 ]] || fail "exit code $code after SIGTERM: $(tail -5 "$work/out.log")"
grep -q '"shutdown finished"' "$work/out.log" || fail "no 'shutdown finished' line"
echo "pack-check: ok — installed from tarballs outside the repository, typechecked, served /health and /hello, exit 0 on SIGTERM"
