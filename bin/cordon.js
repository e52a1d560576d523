#!/usr/bin/env node
'use strict';
// Built by `npm run build` (also run by `prepare`, so `npm ci` leaves a working bin).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error('cordon: unexpected failure:', err && err.message ? err.message : err); process.exitCode = 1; },
);
