import { CommandRunner } from 'nest-commander';
import { UsageError } from '../cli.errors';

/** A command that only groups others (`outbox`, `dlq`, `topics`): alone it is a usage error. */
export abstract class ParentCommand extends CommandRunner {
  async run(params: string[]): Promise<void> {
    const names = this.command.commands.map((c) => c.name()).join(', ');
    if (params.length > 0) {
      throw new UsageError(
        `Unknown command "${this.command.name()} ${params[0]}"; its commands are ${names}.`,
      );
    }
    this.command.outputHelp({ error: true });
    throw new UsageError(`"${this.command.name()}" needs one of its commands: ${names}.`);
  }
}
