import { Command } from 'nest-commander';
import { OutboxFailedCommand } from './outbox-failed.command';
import { OutboxRetryCommand } from './outbox-retry.command';
import { OutboxStatusCommand } from './outbox-status.command';
import { ParentCommand } from './parent.command';

@Command({
  name: 'outbox',
  description: 'Inspect the transactional outbox of DATABASE_URL and retry failed rows',
  subCommands: [OutboxStatusCommand, OutboxFailedCommand, OutboxRetryCommand],
})
export class OutboxCommand extends ParentCommand {}
