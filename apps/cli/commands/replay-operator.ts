import { userInfo } from 'node:os';
import { UsageError } from '../cli.errors';

const MAX_NAME_LENGTH = 200;

/** Who replays (`--by`, else the user name), recorded as `x-replayed-by`. */
export function replayOperator(by: string | undefined): string {
  const name = (by ?? operatorName()).trim();
  if (name === '' || name.length > MAX_NAME_LENGTH) {
    throw new UsageError(`--by must be a name of 1 to ${MAX_NAME_LENGTH} characters.`);
  }
  return name;
}

function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    return process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
}
