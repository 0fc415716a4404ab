/** The CLI's exit codes. */
export const EXIT_CODES = {
  ok: 0,
  /** The operation failed (the message says why). */
  failed: 1,
  /** Bad or missing arguments or settings. */
  usage: 2,
  /** PostgreSQL or Kafka did not answer. */
  unreachable: 3,
  /** Stopped by SIGINT / SIGTERM during a Kafka read (the shell's 128 + SIGINT). */
  interrupted: 130,
} as const;

/** An error that ends the command with its own exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_CODES.failed,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Bad or missing arguments, options or environment variables: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}

/** A service the command needs (database, Kafka) is unreachable: exit code 3. */
export class UnreachableError extends CliError {
  constructor(message: string, cause?: unknown) {
    super(message, EXIT_CODES.unreachable, { cause });
  }
}

/** commander's errors (it already printed them); typed loosely to keep commander an implementation detail. */
interface CommanderError extends Error {
  code: string;
  exitCode: number;
}

function isCommanderError(error: unknown): error is CommanderError {
  const candidate = error as Partial<CommanderError> | null;
  return (
    error instanceof Error &&
    typeof candidate?.code === 'string' &&
    candidate.code.startsWith('commander.') &&
    typeof candidate.exitCode === 'number'
  );
}

export function exitCodeOf(error: unknown): number {
  // Help and --version "fail" with 0; every other complaint of commander's is about usage.
  if (isCommanderError(error)) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
  if (error instanceof CliError) return error.exitCode;
  return EXIT_CODES.failed;
}

/** Sets the exit code and tells the operator what went wrong: one line, the stack if verbose. */
export function reportError(error: unknown, verbose: boolean): void {
  process.exitCode = exitCodeOf(error);
  if (isCommanderError(error)) return;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (!verbose) return;
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    process.stderr.write(
      `${cause === error ? '' : 'caused by: '}${cause.stack ?? cause.message}\n`,
    );
  }
}

/** True when `--verbose` is among the arguments (it is accepted by every command). */
export function isVerbose(argv: readonly string[] = process.argv): boolean {
  return argv.includes('--verbose');
}
