import { CliError, EXIT_CODES, exitCodeOf, UnreachableError, UsageError } from './cli.errors';

function commanderError(code: string, exitCode: number): Error {
  return Object.assign(new Error(code), { code, exitCode });
}

describe('exitCodeOf', () => {
  it('maps usage, unreachable and other failures to 2, 3 and 1', () => {
    expect(exitCodeOf(new UsageError('bad'))).toBe(EXIT_CODES.usage);
    expect(exitCodeOf(new UnreachableError('down'))).toBe(EXIT_CODES.unreachable);
    expect(exitCodeOf(new CliError('failed'))).toBe(EXIT_CODES.failed);
    expect(exitCodeOf(new Error('bug'))).toBe(EXIT_CODES.failed);
  });

  it("treats commander's complaints as usage errors, and help as success", () => {
    expect(exitCodeOf(commanderError('commander.missingArgument', 1))).toBe(2);
    expect(exitCodeOf(commanderError('commander.unknownCommand', 1))).toBe(2);
    expect(exitCodeOf(commanderError('commander.helpDisplayed', 0))).toBe(0);
  });
});
