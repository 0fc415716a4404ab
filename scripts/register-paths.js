'use strict';
// Resolves the tsconfig path aliases (@app/event-bus, …) against the compiled output in dist/,
// so `node dist/apps/...` runs without a bundler.
const path = require('node:path');
const tsConfigPaths = require('tsconfig-paths');
const { compilerOptions } = require('../tsconfig.json');

tsConfigPaths.register({
  baseUrl: path.join(__dirname, '..', 'dist'),
  paths: compilerOptions.paths,
});
