'use strict';
// Checks the packed @nestbus/event-bus tarball before anything installs it: the files an app
// loads are in it (every `main`, `types`, `exports` and `typesVersions` target), nothing else of
// the repository is (specs, fixtures, TypeScript sources, build info), no compiled file is left
// over from a source that no longer exists, and its dependencies name registry versions.
// Usage: node test/package/check-tarball.js <tarball>
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const LIBRARY = join(__dirname, '..', '..', 'libs', 'event-bus');
const REQUIRED = [
  'package.json',
  'LICENSE',
  'dist/src/index.js',
  'dist/src/index.d.ts',
  'dist/testing/index.js',
  'dist/testing/index.d.ts',
];
const FORBIDDEN = [
  [/\.spec\./, 'a spec'],
  [/(^|\/)__fixtures__\//, 'a test fixture'],
  [/(?<!\.d)\.ts$/, 'a TypeScript source'],
  [/\.tsbuildinfo$/, 'build info'],
  [/^(src|testing)\//, 'a source folder'],
  [/(^|\/)node_modules\//, 'an installed package'],
];

const tarball = process.argv[2];
if (!tarball) {
  console.error('usage: node test/package/check-tarball.js <tarball>');
  process.exit(2);
}
const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
  .split('\n')
  .filter((line) => line && !line.endsWith('/'))
  .map((line) => line.replace(/^package\//, ''));
const manifest = JSON.parse(
  execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
);
const problems = [];
const has = new Set(files);
const normalize = (target) => target.replace(/^\.\//, '');

for (const file of REQUIRED) if (!has.has(file)) problems.push(`missing ${file}`);

for (const file of files) {
  for (const [pattern, what] of FORBIDDEN) {
    if (pattern.test(file)) problems.push(`${file} is ${what} and must not be published`);
  }
}

// A compiled file whose source is gone is a leftover of an old build (tsc never deletes them).
for (const file of files) {
  const match = /^dist\/(.+?)(\.d\.ts|\.js)$/.exec(file);
  if (match && !existsSync(join(LIBRARY, `${match[1]}.ts`))) {
    problems.push(
      `${file} has no source in libs/event-bus (a stale build: rm -rf libs/event-bus/dist)`,
    );
  }
}

const targets = [
  ['main', manifest.main],
  ['types', manifest.types],
];
for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
  const entries = typeof conditions === 'string' ? { default: conditions } : conditions;
  for (const [condition, target] of Object.entries(entries)) {
    targets.push([`exports["${subpath}"].${condition}`, target]);
  }
}
for (const [range, paths] of Object.entries(manifest.typesVersions ?? {})) {
  for (const [subpath, list] of Object.entries(paths)) {
    for (const target of list) targets.push([`typesVersions["${range}"].${subpath}`, target]);
  }
}
for (const [field, target] of targets) {
  if (typeof target !== 'string') problems.push(`${field} is not a path`);
  else if (!has.has(normalize(target)))
    problems.push(`${field} points to ${target}, not in the tarball`);
}

// A subpath that only `exports` knows is invisible to moduleResolution "node" (typesVersions).
for (const subpath of Object.keys(manifest.exports ?? {})) {
  const name = subpath.replace(/^\.\/?/, '');
  if (name && name !== 'package.json' && !manifest.typesVersions?.['*']?.[name]) {
    problems.push(`exports["${subpath}"] has no typesVersions entry (moduleResolution "node")`);
  }
}

for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
  for (const [name, range] of Object.entries(manifest[field] ?? {})) {
    if (/^(file:|link:|workspace:|\*$)/.test(range)) {
      problems.push(`${field}.${name} is "${range}": a stranger's install cannot resolve it`);
    }
  }
}

// The README is the registry page a stranger starts from.
if (!files.some((file) => /^readme\.md$/i.test(file))) {
  problems.push('no README.md (libs/event-bus/README.md): the registry page would be empty');
}

// A source map names its source; the library ships maps with the sources inlined.
for (const map of files.filter((file) => file.endsWith('.js.map'))) {
  if (!files.includes(map.replace(/\.map$/, ''))) problems.push(`${map} has no .js beside it`);
}
for (const js of files.filter((file) => file.endsWith('.js') && file.startsWith('dist/'))) {
  if (!files.includes(`${js}.map`)) problems.push(`${js} points to ${js}.map, which is missing`);
}

if (problems.length > 0) {
  console.error(`check-tarball: ${tarball}:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-tarball: ${files.length} files, every entry point present, no sources or specs`);
