'use strict';
// The package README's first app is the app this check installs and runs: each block marked
// `<!-- first-app: <path> -->` must be test/package/app/<path> verbatim (after its `// <path>`
// line), and every source of the app but its migration must be shown.
// Usage: node test/package/check-readme.js
const { readFileSync, readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const README = join(ROOT, 'libs', 'event-bus', 'README.md');
const APP = join(__dirname, 'app');

const text = readFileSync(README, 'utf8');
const shown = new Map();
for (const match of text.matchAll(
  /<!-- first-app: (\S+) -->\s*```ts\n\/\/ (\S+)\n([\s\S]*?)```/g,
)) {
  const [, marker, header, code] = match;
  if (marker !== header) throw new Error(`README block ${marker} is headed ${header}`);
  shown.set(marker, code);
}

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sources(path) : [relative(APP, path)];
  });
}

const problems = [];
for (const path of sources(join(APP, 'src')).filter((file) => !file.includes('migrations'))) {
  const code = shown.get(path);
  if (code === undefined) problems.push(`${path} is not shown in the README`);
  else if (code !== readFileSync(join(APP, path), 'utf8')) problems.push(`${path} differs`);
  shown.delete(path);
}
for (const path of shown.keys()) problems.push(`the README shows ${path}, which the app lacks`);

if (problems.length > 0) {
  console.error(
    `check-readme: libs/event-bus/README.md vs test/package/app:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log('check-readme: the README first app is the app under test');
