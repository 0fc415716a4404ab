'use strict';
/**
 * The layers of libs/event-bus/src, top to bottom, and the ESLint rule that keeps them: a file
 * may import from its own layer and the layers below it, never from one above. ARCHITECTURE.md
 * explains each layer; a new folder must be placed here before the linter accepts it. Specs and
 * `src/__fixtures__/` (spec helpers, never built) are not checked: eslint.config.mjs leaves
 * them out of this rule, so a spec may cross layers to set a scene.
 */
const path = require('node:path');

const SOURCE_ROOT = path.join(__dirname, '..', 'libs', 'event-bus', 'src');

/**
 * Top first. `folders` are folders of src/ (a nested one, such as `storage/typeorm`, is a layer
 * of its own, apart from its parent's); `files` are files at the top of src/.
 */
const LAYERS = [
  {
    name: 'module',
    folders: ['microservices'],
    files: [
      'event-bus.module',
      'event-bus.module-definition',
      'event-bus.orchestrator',
      'event-bus.publisher',
      'event-bus.maintenance',
      'event-bus.entities',
      'index',
      'kafka',
      'microservices',
      'operations',
      'platformatic-kafka',
      'storage',
      'transport',
    ],
  },
  { name: 'storage adapters', folders: ['storage/typeorm'], files: [] },
  { name: 'observers and tools', folders: ['observability', 'operations'], files: [] },
  { name: 'engines', folders: ['consumer', 'outbox', 'local'], files: [] },
  {
    name: 'building blocks',
    folders: [
      'dead-letter',
      'discovery',
      'envelope',
      'failure',
      'inbox',
      'interceptors',
      'options',
    ],
    files: [],
  },
  { name: 'contracts', folders: ['interfaces', 'decorators', 'storage'], files: [] },
  { name: 'transports', folders: ['transports'], files: [] },
  {
    name: 'foundation',
    folders: ['errors', 'util'],
    files: ['event-bus.constants', 'event-bus.messages'],
  },
];

/** The index in LAYERS (0 is the top) of a path inside src/, or undefined when none holds it. */
function layerOf(absolutePath) {
  const relative = path.relative(SOURCE_ROOT, absolutePath);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const parts = relative.split(path.sep);
  if (parts.length === 1) {
    const index = LAYERS.findIndex((layer) =>
      layer.files.includes(parts[0].replace(/\.(ts|js)$/, '')),
    );
    return index >= 0 ? index : undefined;
  }
  // The deepest folder that is placed: storage/typeorm/x.ts is in storage/typeorm's layer.
  for (let depth = parts.length - 1; depth > 0; depth--) {
    const folder = parts.slice(0, depth).join('/');
    const index = LAYERS.findIndex((layer) => layer.folders.includes(folder));
    if (index >= 0) return index;
  }
  return undefined;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'A module of libs/event-bus/src imports nothing from a layer above it.' },
    schema: [],
    messages: {
      upward:
        'The {{from}} layer may not import from the {{to}} layer above it ("{{source}}"); see ARCHITECTURE.md.',
      unplaced:
        'This file is in no layer: add its folder to LAYERS in scripts/eslint-layers.js (see ARCHITECTURE.md).',
    },
  },
  create(context) {
    const file = context.filename;
    const from = layerOf(file);
    if (from === undefined) {
      const inside = !path.relative(SOURCE_ROOT, file).startsWith('..');
      return inside ? { Program: (node) => context.report({ node, messageId: 'unplaced' }) } : {};
    }
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(file), source));
      if (to === undefined || to >= from) return;
      context.report({
        node,
        messageId: 'upward',
        data: { from: LAYERS[from].name, to: LAYERS[to].name, source },
      });
    };
    const fromSource = (node) => node.source && check(node, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => check(node, node.source.value),
      CallExpression: (node) => {
        const [argument] = node.arguments;
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && argument)
          check(node, argument.value);
      },
    };
  },
};

module.exports = { LAYERS, layerOf, plugin: { rules: { layers: rule } } };
