/*
 * `npm run events -- <command>`: the event bus's operator CLI. See apps/cli/README.md.
 */
import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { isVerbose, reportError } from './cli.errors';
import { cliLogger } from './cli.logger';
import { CliModule } from './cli.module';

async function main(): Promise<void> {
  // Errors set process.exitCode instead of exiting: the process ends once every client
  // (database, Kafka) is closed, and output is flushed.
  await CommandFactory.run(CliModule, {
    logger: cliLogger(isVerbose()),
    abortOnError: false,
    cliName: 'events',
    serviceErrorHandler: (error) => reportError(error, isVerbose()),
  });
}

main().catch((error: unknown) => reportError(error, isVerbose()));
