import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint, Linter } from 'eslint';

/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS without typings here */
// The rule `npm run lint` applies to every module of this library (see ARCHITECTURE.md).
const { LAYERS, plugin } = require('../../../scripts/eslint-layers.js') as {
  LAYERS: Array<{ name: string; folders: string[]; files: string[] }>;
  plugin: ESLint.Plugin;
};
const tsParser = require('@typescript-eslint/parser') as Linter.Parser;
/* eslint-enable @typescript-eslint/no-require-imports */

const SRC = __dirname;

function lint(file: string, code: string): Linter.LintMessage[] {
  const linter = new Linter({ configType: 'flat' });
  return linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tsParser },
        plugins: { 'event-bus': plugin },
        rules: { 'event-bus/layers': 'error' },
      },
    ],
    { filename: join(SRC, file) },
  );
}

describe('the layering rule', () => {
  it('refuses an import from a layer above, naming both layers', () => {
    const messages = lint(
      'consumer/record-processor.ts',
      "import { EventBusMetrics } from '../observability/event-bus.metrics';",
    );

    expect(messages).toHaveLength(1);
    expect(messages[0].message).toBe(
      'The engines layer may not import from the observers and tools layer above it ("../observability/event-bus.metrics"); see ARCHITECTURE.md.',
    );
  });

  it('refuses upward re-exports, require() and import() too', () => {
    const messages = lint(
      'transports/kafka/kafka.transport.ts',
      [
        "export { OutboxRelay } from '../../outbox/outbox.relay';",
        "const module = require('../../event-bus.module');",
        "void import('../../operations/dead-letter.reader');",
      ].join('\n'),
    );

    expect(messages.map((m) => m.line)).toEqual([1, 2, 3]);
  });

  it('lets a module import from its own layer and the layers below', () => {
    const messages = lint(
      'consumer/record-processor.ts',
      [
        "import { OutboxStore } from '../storage/outbox.store';",
        "import { InboxConsumer } from '../inbox/inbox.consumer';",
        "import type { RecordBatch } from '../transports/event-transport.interface';",
        "import { EVENT_TRANSPORT } from '../event-bus.constants';",
        "import { Injectable } from '@nestjs/common';",
      ].join('\n'),
    );

    expect(messages).toEqual([]);
  });

  it('tells the foundation files at the top of src from the module files there', () => {
    const messages = lint(
      'event-bus.messages.ts',
      "import { EventPublisher } from './event-bus.publisher';",
    );

    expect(messages.map((m) => m.message)).toEqual([
      expect.stringContaining('The foundation layer may not import from the module layer'),
    ]);
  });

  it('keeps the core off the storage adapter: a nested folder is a layer of its own', () => {
    const core = lint(
      'outbox/outbox.relay.ts',
      "import { TypeOrmOutboxStore } from '../storage/typeorm/typeorm-outbox.store';",
    );
    const port = lint(
      'storage/outbox.store.ts',
      "import { OutboxMessage } from './typeorm/entities/outbox-message.entity';",
    );
    const adapter = lint(
      'storage/typeorm/typeorm-outbox.store.ts',
      [
        "import { OutboxStore } from '../outbox.store';",
        "import { OutboxCommits } from '../../outbox/outbox-commits';",
        "import { OutboxMessage } from './entities/outbox-message.entity';",
      ].join('\n'),
    );

    expect(core.map((m) => m.message)).toEqual([
      expect.stringContaining('The engines layer may not import from the storage adapters layer'),
    ]);
    expect(port.map((m) => m.message)).toEqual([
      expect.stringContaining('The contracts layer may not import from the storage adapters layer'),
    ]);
    expect(adapter).toEqual([]);
  });

  it('refuses a file in a folder no layer holds', () => {
    const messages = lint('scheduling/cron.ts', 'export const every = 1;');

    expect(messages[0].message).toContain('This file is in no layer');
  });

  it('places every folder of src in exactly one layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== '__fixtures__')
      .map((entry) => entry.name)
      .sort();
    const placed = LAYERS.flatMap((layer) => layer.folders);
    const nested = placed.filter((folder) => folder.includes('/'));

    expect(placed.filter((folder) => !folder.includes('/')).sort()).toEqual(folders);
    for (const folder of nested) {
      expect(readdirSync(join(SRC, folder)).length).toBeGreaterThan(0);
    }
  });
});
