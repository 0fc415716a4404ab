import { Module } from '@nestjs/common';
import { CliEnvironment } from './cli.environment';
import { CliProgram } from './cli.program';
import { CliDatabase } from './infrastructure/cli-database';
import { CliTransport } from './infrastructure/cli-transport';
import { CliOutput } from './output/cli.output';
import { AsyncApiCommand } from './commands/asyncapi.command';
import { DlqCommand } from './commands/dlq.command';
import { DlqListCommand } from './commands/dlq-list.command';
import { DlqParkedCommand } from './commands/dlq-parked.command';
import { DlqParkedListCommand } from './commands/dlq-parked-list.command';
import { DlqParkedReplayCommand } from './commands/dlq-parked-replay.command';
import { DlqReplayCommand } from './commands/dlq-replay.command';
import { DlqShowCommand } from './commands/dlq-show.command';
import { OutboxCommand } from './commands/outbox.command';
import { OutboxFailedCommand } from './commands/outbox-failed.command';
import { OutboxRetryCommand } from './commands/outbox-retry.command';
import { OutboxStatusCommand } from './commands/outbox-status.command';
import { TopicsCommand } from './commands/topics.command';
import { TopicsEnsureCommand } from './commands/topics-ensure.command';
import { TraceCommand } from './commands/trace.command';
import { SchemaCommand } from './commands/schema.command';
import { SchemaCheckCommand } from './commands/schema-check.command';
import { SchemaRecordCommand } from './commands/schema-record.command';

/**
 * The operator CLI. Nothing here connects at startup: each command opens the database or transport
 * it needs (see CliDatabase, CliTransport) and closes it before returning.
 */
@Module({
  providers: [
    CliEnvironment,
    CliProgram,
    CliDatabase,
    CliTransport,
    CliOutput,
    OutboxCommand,
    OutboxStatusCommand,
    OutboxFailedCommand,
    OutboxRetryCommand,
    DlqCommand,
    DlqListCommand,
    DlqShowCommand,
    DlqReplayCommand,
    DlqParkedCommand,
    DlqParkedListCommand,
    DlqParkedReplayCommand,
    TraceCommand,
    TopicsCommand,
    TopicsEnsureCommand,
    SchemaCommand,
    SchemaCheckCommand,
    SchemaRecordCommand,
    AsyncApiCommand,
  ],
})
export class CliModule {}
