import { ConsoleLogger, LogLevel } from '@nestjs/common';

/**
 * Nest's console logger, all levels on stderr: stdout carries only the command's output, so it
 * can be piped and parsed.
 */
export class CliLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

/** The CLI's logger: warnings and errors (and progress logs with `--verbose`), on stderr. */
export function cliLogger(verbose = false): CliLogger {
  return new CliLogger({ logLevels: verbose ? ['error', 'warn', 'log'] : ['error', 'warn'] });
}
