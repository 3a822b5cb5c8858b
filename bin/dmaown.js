#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (built into dist/ by `npm install` / `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('dmaown: not built yet: run `npm install` (or `npm run build`) in ' + path.join(__dirname, '..') + '\n');
  process.exit(2);
}
require(entry).runAsProcess(process.argv.slice(2));
