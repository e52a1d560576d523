#!/usr/bin/env node
'use strict';
// Built by `npm run build` (also run by `prepare`, so `npm ci` leaves a working bin).
require('../dist/src/cli/main.js').main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // main() has finished its work (serve: stopped within its grace). A timer or socket a
    // library left behind (a Slack WebClient retrying for half an hour) must not keep the
    // process alive; without one the process ends at once and this timer never fires.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (err) => { console.error('cordon: unexpected failure:', err && err.message ? err.message : err); process.exitCode = 1; },
);
