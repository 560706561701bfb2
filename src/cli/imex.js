#!/usr/bin/env node
// The `imex` command (package.json "bin"): runs the TypeScript CLI through tsx. CommonJS.
/* global process */
/* eslint-disable @typescript-eslint/no-require-imports */
require('tsx/cjs');
require('./main.ts')
  .runCli(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
