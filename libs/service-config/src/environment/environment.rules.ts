import type { VariableRule } from './environment-variable.decorator';

// Digits only: Number() would also take " 5", "1e3", "0x10" and "5.0".
const DIGITS = /^\d+$/;

/** A whole number from `min` to `max`, written in digits. */
export function integerIn(min: number, max: number): VariableRule<number> {
  return {
    parse: (text) => (DIGITS.test(text) && +text >= min && +text <= max ? +text : undefined),
    expects: `must be an integer from ${min} to ${max}`,
  };
}

/** A whole number in digits, no bound (0 leaves the library's default in place). */
export const WHOLE_NUMBER: VariableRule<number> = {
  parse: (text) => (DIGITS.test(text) ? +text : undefined),
  expects: 'must be a positive integer',
};

/** A share from 0 to 1, in plain decimal notation. */
export const RATE: VariableRule<number> = {
  parse: (text) => (/^\d+(\.\d+)?$/.test(text) && +text <= 1 ? +text : undefined),
  expects: 'must be a number from 0 to 1',
};

export const FLAG: VariableRule<boolean> = {
  parse: (text) =>
    text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : undefined,
  expects: 'must be true or false',
};

/** `host:port,host:port`; blanks around a comma are dropped. */
export const BROKER_LIST: VariableRule<string[]> = {
  parse: (text) => {
    const brokers = text
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean);
    const valid = brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b));
    return valid ? brokers : undefined;
  },
  expects: 'must be a comma list of host:port',
};

/** Safe in a Kafka topic name, and short enough to leave room for the event type. */
export const TOPIC_PREFIX: VariableRule<string> = {
  parse: (text) => (/^[A-Za-z0-9._-]{1,100}$/.test(text) ? text : undefined),
  expects: 'may hold letters, digits, ".", "_" and "-" only',
};

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
// A scheme of two letters or more followed by ":" (one letter is a Windows drive): a URL typed
// wrong, such as postgres:/user:pw@host/db, must not become a SQLite file named after it.
const SCHEME_LIKE = /^([a-z][a-z0-9+.-]+):/i;

/** postgres://… or postgresql://…, or a SQLite file path (no scheme). */
export const DATABASE_URL: VariableRule<string> = {
  parse: (text) =>
    /^postgres(ql)?:\/\//i.test(text) || !(URL_SCHEME.test(text) || SCHEME_LIKE.test(text))
      ? text
      : undefined,
  expects: 'must be postgres://… or a SQLite file path',
  // A database URL may carry a password: name its scheme only.
  show: (text) =>
    URL_SCHEME.test(text)
      ? `a ${URL_SCHEME.exec(text)?.[1] ?? ''}:// URL`
      : `a "${SCHEME_LIKE.exec(text)?.[1] ?? ''}:" URL without "//"`,
};

/** Which transport the bus uses: EVENT_TRANSPORT. */
export type TransportName = 'in-memory' | 'kafka' | 'postgres';

export const TRANSPORT_NAME: VariableRule<TransportName> = {
  parse: (text) =>
    text === 'in-memory' || text === 'kafka' || text === 'postgres' ? text : undefined,
  expects: 'must be in-memory, kafka or postgres',
};

/** postgres://… or postgresql://… only (the bus database of the postgres transport). */
export const POSTGRES_URL: VariableRule<string> = {
  parse: (text) => (/^postgres(ql)?:\/\/\S+$/i.test(text) ? text : undefined),
  expects: 'must be a postgres:// URL',
  show: DATABASE_URL.show,
};

/** Any text (an empty variable already counts as unset). */
export const TEXT: VariableRule<string> = { parse: (text) => text, expects: 'must be text' };
