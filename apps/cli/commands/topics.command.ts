import { Command } from 'nest-commander';
import { ParentCommand } from './parent.command';
import { TopicsEnsureCommand } from './topics-ensure.command';

@Command({
  name: 'topics',
  description: 'Manage the topics (Kafka or the bus database) of the registered event types',
  subCommands: [TopicsEnsureCommand],
})
export class TopicsCommand extends ParentCommand {}
