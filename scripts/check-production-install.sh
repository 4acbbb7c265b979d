#!/usr/bin/env bash
# The README's production install, from a clean clone of this checkout's HEAD: install, build,
# drop the devDependencies, and check that what is left serves a real refresh.
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q "$root" "$work/refreshd"
cd "$work/refreshd"

# README "Production install", step by step.
npm ci --no-audit --no-fund --loglevel=error
npm prune --omit=dev --no-audit --no-fund --loglevel=error

for dev in typescript jest ts-jest tsx supertest playwright-core autocannon @stoplight/prism-cli; do
  if [ -e "node_modules/$dev" ]; then echo "production install still has devDependency $dev" >&2; exit 1; fi
done
version=$(node bin/refreshd.js --version)
[ "$version" = "$(node -p 'require("./package.json").version')" ] || { echo "--version printed $version" >&2; exit 1; }

node bin/refreshd.js keys generate --alg ES256 --out "$work/signing.jwk.json" > /dev/null
NODE_ENV=production REFRESHD_KEY_FILES="$work/signing.jwk.json" REFRESHD_LOG_FORMAT=json \
  node bin/refreshd.js serve --port 0 --data-dir "$work/data" > "$work/serve.log" 2>&1 &
server=$!
url=""
for _ in $(seq 1 100); do
  url=$(node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) { try { const r = JSON.parse(l); if (r.url) { console.log(r.url); break; } } catch {} }' "$work/serve.log")
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

NODE_ENV=production REFRESHD_KEY_FILES="$work/signing.jwk.json" \
  node bin/refreshd.js sessions create --api session --sub alice --data-dir "$work/data" > "$work/session.json"
node -e '
  const { refresh_token } = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
  fetch(`${process.argv[1]}/session/token/refresh`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token }) })
    .then(async (res) => {
      const body = await res.json();
      if (res.status !== 200 || body.code !== 0 || !body.data.refresh_token) { console.error("refresh answered", res.status); process.exit(1); }
      console.log("production install: a pruned install (no devDependencies) served a refresh: 200");
    });
' "$url" "$work/session.json"
