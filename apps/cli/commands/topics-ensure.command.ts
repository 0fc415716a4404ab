import { CommandRunner, Option, SubCommand } from 'nest-commander';
import { InMemoryBroker } from '@nestbus/event-bus';
import {
  deadLetterTopic,
  EventTypeRegistry,
  resolveEventBusOptions,
} from '@nestbus/event-bus/operations';
import { eventBusOptionsFor } from '@nestbus/service-config';
import { CliEnvironment } from '../cli.environment';
import { contractEvents } from '../contracts/contract-events';
import { CliTransport } from '../infrastructure/cli-transport';
import { CliOutput } from '../output/cli.output';
import { parseCount } from './option.parsers';

interface TopicsEnsureOptions {
  partitions?: string;
  replicationFactor?: string;
}

@SubCommand({
  name: 'ensure',
  description:
    'Create the topics of the event types in libs/contracts and their .dlq topics, if missing',
})
export class TopicsEnsureCommand extends CommandRunner {
  constructor(
    private readonly bus: CliTransport,
    private readonly environment: CliEnvironment,
    private readonly out: CliOutput,
  ) {
    super();
  }

  async run(_params: string[], options: TopicsEnsureOptions): Promise<void> {
    // The services' own options, so names (EVENT_TOPIC_PREFIX) and sizes match theirs.
    const bus = resolveEventBusOptions({
      ...eventBusOptionsFor(await this.environment.config()),
      transport: { type: 'in-memory', broker: new InMemoryBroker() },
    });
    const partitions = parseCount(
      '--partitions',
      options.partitions,
      bus.topics.partitions,
      10_000,
    );
    const replicationFactor = parseCount(
      '--replication-factor',
      options.replicationFactor,
      bus.topics.replicationFactor,
      100,
    );
    const registry = new EventTypeRegistry(bus);
    for (const event of contractEvents()) registry.register(event);
    const wanted = [
      ...new Set(registry.all().flatMap((d) => [d.topic, deadLetterTopic(d.topic)])),
    ].sort();

    const existing = await this.bus.useReader(async (reader) => new Set(await reader.listTopics()));
    const missing = wanted.filter((name) => !existing.has(name));
    if (missing.length > 0) {
      await this.bus.useTransport((transport) =>
        transport.ensureTopics(missing.map((name) => ({ name, partitions, replicationFactor }))),
      );
    }
    // The bus database keeps each partition once: a replication factor means nothing there.
    const replicated =
      (await this.environment.transport()).type === 'kafka'
        ? `, replication factor ${replicationFactor}`
        : '';
    this.out.table(
      ['STATUS', 'TOPIC'],
      wanted.map((name) => [existing.has(name) ? 'exists' : 'created', name]),
    );
    this.out.line();
    this.out.line(
      missing.length === 0
        ? `All ${wanted.length} topics existed.`
        : `${missing.length} created (${partitions} partitions${replicated}), ` +
            `${wanted.length - missing.length} existed.`,
    );
  }

  @Option({ flags: '--partitions <n>', description: 'partitions of created topics (default 3)' })
  parsePartitions(value: string): string {
    return value;
  }

  @Option({
    flags: '--replication-factor <n>',
    description: 'replication factor of created topics (default 1)',
  })
  parseReplicationFactor(value: string): string {
    return value;
  }
}
