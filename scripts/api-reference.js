'use strict';
// Writes docs/API.md, the reference of @nestbus/event-bus's public names, from their JSDoc.
// `node scripts/api-reference.js` rewrites it; `--check` fails when it is out of date
// (libs/event-bus/src/public-api.spec.ts runs the same rendering).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const ts = require('typescript');

const ROOT = join(__dirname, '..');
const LIB = join(ROOT, 'libs', 'event-bus');
const OUTPUT = join(ROOT, 'docs', 'API.md');
const ENTRY_POINTS = [
  ['@nestbus/event-bus', 'src/index.ts'],
  ['@nestbus/event-bus/testing', 'testing/index.ts'],
  ['@nestbus/event-bus/transport', 'src/transport.ts'],
  ['@nestbus/event-bus/kafka', 'src/kafka.ts'],
  ['@nestbus/event-bus/platformatic-kafka', 'src/platformatic-kafka.ts'],
  ['@nestbus/event-bus/operations', 'src/operations.ts'],
  ['@nestbus/event-bus/storage', 'src/storage.ts'],
  ['@nestbus/event-bus/microservices', 'src/microservices.ts'],
];

function kindOf(symbol) {
  const flags = symbol.flags;
  if (flags & ts.SymbolFlags.Class) return 'class';
  if (flags & ts.SymbolFlags.Interface) return 'interface';
  if (flags & ts.SymbolFlags.TypeAlias) return 'type';
  if (flags & ts.SymbolFlags.Function) return 'function';
  return 'const';
}

function firstSentence(text) {
  const line = text.replace(/\s+/g, ' ').trim();
  const end = line.search(/\.(\s|$)/);
  return (end === -1 ? line : line.slice(0, end + 1)).replace(/\|/g, '\\|');
}

function render() {
  const files = ENTRY_POINTS.map(([, file]) => join(LIB, file));
  const program = ts.createProgram(files, {
    experimentalDecorators: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const out = [
    '# @nestbus/event-bus: API reference',
    '',
    'Generated from the JSDoc by `node scripts/api-reference.js`; a unit spec fails when it is out of date.',
    'The main entry point is what applications write code against; the others serve tests, transport',
    'authors and operator tooling.',
  ];
  for (const [name, file] of ENTRY_POINTS) {
    const source = program.getSourceFile(join(LIB, file));
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const intro = ts.getLeadingCommentRanges(source.text, 0) ?? [];
    out.push('', `## \`${name}\``, '');
    if (intro.length > 0 && name !== '@nestbus/event-bus') {
      const comment = source.text.slice(intro[0].pos, intro[0].end);
      out.push(firstSentence(comment.replace(/^\/\*\*?|\*\/$/g, '').replace(/^\s*\* ?/gm, '')), '');
    }
    out.push('| name | kind | what it is |', '| --- | --- | --- |');
    const rows = checker.getExportsOfModule(moduleSymbol).map((symbol) => {
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const doc = ts.displayPartsToString(target.getDocumentationComment(checker));
      return `| \`${symbol.getName()}\` | ${kindOf(target)} | ${firstSentence(doc)} |`;
    });
    out.push(...rows.sort((a, b) => a.localeCompare(b)));
  }
  return out.join('\n') + '\n';
}

module.exports = { render, OUTPUT };

if (require.main === module) {
  const text = render();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUTPUT, 'utf8') !== text) {
      console.error('docs/API.md is out of date: run node scripts/api-reference.js');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(OUTPUT, text);
    console.log(`wrote ${OUTPUT}`);
  }
}
