#!/usr/bin/env node
'use strict';
// The CLI runs the compiled output (built by `npm ci` through the `prepare` script, and by `npm test`).
require('../dist/cli/main.js');
