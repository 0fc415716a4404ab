'use strict';
/*
 * A `node -r` preload that makes the packages named in HIDDEN_PACKAGES (comma-separated) look
 * uninstalled: resolving one of them, or a file inside it, throws Node's own MODULE_NOT_FOUND
 * error, the way `require` fails in an application that never installed it. Each attempt is
 * recorded in `globalThis.hiddenPackageAttempts`, so the child can report who asked.
 */
const Module = require('module');

const hidden = (process.env.HIDDEN_PACKAGES || '').split(',').filter(Boolean);
const attempts = [];
globalThis.hiddenPackageAttempts = attempts;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const name = hidden.find((h) => request === h || request.startsWith(`${h}/`));
  if (name) {
    attempts.push({ request, from: parent && parent.filename });
    const error = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolveFilename.call(this, request, parent, ...rest);
};
