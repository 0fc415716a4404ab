import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import type { Command } from 'commander';

const EXIT_CODES_HELP = `
Environment: DATABASE_URL (postgres://… or a SQLite file), KAFKA_BROKERS (default
127.0.0.1:9092), or EVENT_TRANSPORT=postgres with BUS_DATABASE_URL (postgres://…, the bus
database), SERVICE_ID, EVENT_TOPIC_PREFIX: the same variables as the services.

Exit codes: 0 success, 1 the operation failed, 2 usage error, 3 PostgreSQL, Kafka or the bus
database unreachable, 130 interrupted.`;

/**
 * Shapes the commander program nest-commander built: the CLI's name, usage errors that end
 * with exit code 2 instead of commander's `process.exit(1)`, strict arguments, and `--verbose`
 * on every command.
 */
@Injectable()
export class CliProgram implements OnApplicationBootstrap {
  constructor(@InjectCommander() private readonly root: Command) {}

  onApplicationBootstrap(): void {
    this.root
      .name('events')
      .description('Operate the event bus: outbox, dead-letter topics, traces, topics.')
      .addHelpText('after', EXIT_CODES_HELP);
    configure(this.root);
  }
}

function configure(command: Command): void {
  // Throw instead of exiting, so main() sets the exit code and clients close on their own.
  command.exitOverride();
  command.option('--verbose', 'print stack traces with errors');
  if (command.commands.length === 0) command.allowExcessArguments(false);
  for (const sub of command.commands) configure(sub);
}
