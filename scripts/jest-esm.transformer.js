'use strict';
/**
 * Jest on Node 20 cannot `require` an ES module (Node itself can, since 20.19; Jest only on Node
 * 24.9+), and @platformatic/kafka ships as ES modules only. This transformer compiles those
 * packages to CommonJS for the tests: `import.meta.url` becomes the file's URL, and a module-level
 * `createRequire(import.meta.url)` gives way to CommonJS's own `require`. The library
 * itself loads them with Node's own `require`, untransformed.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const ts = require('typescript');

/** This file's text: a change to it must invalidate Jest's cache of what it compiled. */
const SELF = readFileSync(join(__dirname, 'jest-esm.transformer.js'));

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(SELF).update(filename).update(source).digest('hex');
  },
  process(source, filename) {
    const url = JSON.stringify(pathToFileURL(filename).href);
    const esm = source
      .replace(/^const require = createRequire\(import\.meta\.url\);$/m, '')
      .replace(/\bimport\.meta\.url\b/g, url);
    const { outputText, sourceMapText } = ts.transpileModule(esm, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        esModuleInterop: true,
        sourceMap: true,
      },
    });
    return { code: outputText, map: sourceMapText };
  },
};
