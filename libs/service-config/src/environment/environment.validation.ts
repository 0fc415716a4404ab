import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * The environment does not fit its schema. `problems` holds one sentence per bad variable, each
 * naming the variable and what it expects; the message lists them all, on one line.
 */
export class EnvironmentError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid environment: ${problems.join(' ')}`);
    this.name = 'EnvironmentError';
  }
}

/** How a mapping reads validated variables: `ConfigService<E, true>` is one, `readerOf(e)` another. */
export interface EnvironmentReader<E> {
  get<K extends keyof E & string>(name: K): E[K];
}

/** The reader of an already validated environment. */
export function readerOf<E>(validated: E): EnvironmentReader<E> {
  return { get: (name) => validated[name] };
}

/**
 * Reads `env` into an instance of `schema` (its initializers are the defaults) and validates it:
 * the `validate` function of `ConfigModule.forRoot`. Throws an EnvironmentError listing every bad
 * variable at once, so one restart fixes them all.
 */
export function validateEnvironment<E extends object>(
  schema: new () => E,
  env: Record<string, unknown>,
): E {
  // An empty variable counts as unset: `PORT= npm start` means "the default".
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const validated = plainToInstance(schema, given);
  const errors = validateSync(validated, { validationError: { target: false, value: false } });
  if (errors.length > 0) {
    throw new EnvironmentError(errors.flatMap((error) => Object.values(error.constraints ?? {})));
  }
  return validated;
}
