#!/usr/bin/env node
'use strict';
const path = require('node:path');
const { existsSync } = require('node:fs');

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'run.js');
if (!existsSync(entry)) {
  console.error('refreshd: dist/ is not built. In a checkout run `npm ci` (it builds dist/ with the devDependencies); for a production install see README "Production install".');
  process.exit(1);
}
require(entry);
