#!/usr/bin/env node
// npm's `prepare`: builds dist/ after `npm ci` / `npm install` in a checkout. A production install
// (`npm ci --omit=dev`) has no TypeScript to build with: it says so and leaves dist/ as it is (see
// README "Production install": build first, then `npm prune --omit=dev`).
'use strict';
const { spawnSync } = require('node:child_process');

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  console.error('refreshd: devDependencies are not installed, so dist/ is not built here (README: Production install).');
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
