'use strict';
// Writes the package.json of the stranger's app that scripts/test-package.sh installs: the
// packed tarball plus what an application using it installs itself, at the versions the
// repository's root package.json pins (a newer major of a peer would fail the install, and
// pinned versions keep the run reproducible and served from npm's cache).
// Usage: node test/package/app-package.js <tarball> <out-file> [extra package names...]
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const APP_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/typeorm',
  '@nestjs/schedule',
  'typeorm',
  'better-sqlite3',
  'pg',
  'kafkajs',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
  'rxjs',
];
const APP_DEV_DEPENDENCIES = ['typescript', '@types/node'];

const [tarball, outFile, ...extra] = process.argv.slice(2);
if (!tarball || !outFile) {
  console.error('usage: node test/package/app-package.js <tarball> <out-file> [package...]');
  process.exit(2);
}
const root = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
const pinned = { ...root.dependencies, ...root.devDependencies };

function versions(names) {
  const entries = names.map((name) => {
    if (!pinned[name]) {
      console.error(`app-package: ${name} has no version in the root package.json`);
      process.exit(2);
    }
    return [name, pinned[name]];
  });
  return Object.fromEntries(entries);
}

const app = {
  name: 'stranger-app',
  version: '1.0.0',
  private: true,
  license: 'MIT',
  dependencies: {
    '@nestbus/event-bus': `file:${tarball}`,
    ...versions([...APP_DEPENDENCIES, ...extra]),
  },
  devDependencies: versions(APP_DEV_DEPENDENCIES),
  // The repository approves better-sqlite3's build the same way (root package.json).
  allowScripts: { 'better-sqlite3': true },
};
writeFileSync(outFile, `${JSON.stringify(app, null, 2)}\n`);
