/**
 * Runs `check` with a deadline: its result if it settles in time, else `down(reason)` with why
 * (the timeout, or the error's message). Never throws, so one hanging or throwing dependency
 * cannot turn a health answer into a 500 or a hang. The check itself is not cancelled; the
 * database and bus bound their own waits.
 */
export async function boundedCheck<T>(
  check: () => Promise<T>,
  timeoutMs: number,
  down: (reason: string) => T,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), deadline]);
  } catch (error) {
    return down(error instanceof Error ? error.message : String(error));
  } finally {
    clearTimeout(timer);
  }
}
