#!/bin/sh
# Builds koplus (src + bench) into a private out dir, leaving the shared dist/ alone, and makes that dir look like
# the package root (package.json named koplus, type module; node_modules, schema.sql, sounds/, conf/ linked from
# the checkout) so ESM resolution and src/config/paths.ts packageRoot() work there.
#   sh bench/helpers/build.sh [/tmp/koplus-bench-dist]   then   node /tmp/koplus-bench-dist/bench/run.js connect load
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-/tmp/koplus-bench-dist}
cd "$ROOT"
npx tsc -p tsconfig.json --outDir "$OUT"
printf '{ "name": "koplus", "private": true, "type": "module" }\n' > "$OUT/package.json"
for f in node_modules schema.sql sounds conf; do
  if [ -e "$ROOT/$f" ]; then ln -sfn "$ROOT/$f" "$OUT/$f"; fi
done
echo "built into $OUT"
