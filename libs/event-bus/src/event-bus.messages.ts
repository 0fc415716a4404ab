/* Every message the event bus shows a user, in one place, as small functions. */

import type { UnknownOptionKey } from './util/option-keys';

export const invalidOption = (path: string, expected: string, got: unknown): string =>
  `Invalid event-bus option "${path}": expected ${expected}, got ${describe(got)}.`;

/** A handler's own `retry` fails the same checks as `consumer.retry`, into which it merges. */
export const invalidHandlerRetry = (handler: string, reason: string): string =>
  `@EventSubscribe() of ${handler} has a bad "retry" option (merged into consumer.retry): ${reason}`;

export const invalidFailurePolicy = (handler: string, got: unknown): string =>
  `@EventSubscribe() of ${handler} has a bad "onFailure" option: expected a failure policy function (see FailurePolicies), got ${describe(got)}.`;

export const handlerRetrying = (
  handler: string,
  eventId: string,
  attempt: number,
  delayMs: number,
  error: string,
): string =>
  `${handler} failed on event ${eventId} (attempt ${attempt}); retrying in ${delayMs} ms: ${error}`;

export const handlerDiscarded = (
  handler: string,
  eventId: string,
  attempt: number,
  reason: string,
  error: string,
): string =>
  `${handler} discarded event ${eventId} after attempt ${attempt} (its failure policy: ${reason}): ${error}`;

/** A failure policy threw or answered something it may not; the record is dead-lettered. */
export const failurePolicyFailed = (handler: string, problem: string): string =>
  `The failure policy of ${handler} ${problem}; dead-lettering the event instead`;

/** The `refusal` column of a record a failure policy parked (no broker refused it). */
export const parkedByPolicy = (handler: string | undefined): string =>
  `parked by the failure policy of ${handler ?? 'no handler'} (no dead-letter topic)`;

/** One error for every unknown key, each with the option most likely meant. */
export const unknownOptions = (keys: UnknownOptionKey[]): string => {
  const items = keys.map(describeUnknownKey);
  return items.length === 1
    ? `Unknown event-bus option ${items[0]}`
    : `Unknown event-bus options:\n${items.map((item) => `  - ${item}`).join('\n')}`;
};

function describeUnknownKey(key: UnknownOptionKey): string {
  if (key.suggestion !== undefined) return `"${key.path}": did you mean "${key.suggestion}"?`;
  if (key.validFor) {
    const { discriminator, values } = key.validFor;
    const owners = values.map((v) => `"${v}"`).join(' or ');
    return `"${key.path}": it applies only when "${key.section}.${discriminator}" is ${owners}.`;
  }
  const holder = key.section === '' ? 'The options take' : `"${key.section}" takes`;
  return `"${key.path}". ${holder} ${key.known.join(', ')}.`;
}

export const missingEventMetadata = (className: string): string =>
  `${className} is not an event class: decorate it with @IntegrationEvent({ type: '...', version: 1 }).`;

export const duplicateEventType = (type: string, version: number, a: string, b: string): string =>
  `Event type "${type}" version ${version} is claimed by both ${a} and ${b}; each type and version must belong to one class.`;

export const duplicateUpcaster = (type: string, fromVersion: number): string =>
  `Two upcasters convert "${type}" from version ${fromVersion}; keep one.`;

export const duplicateHandlerId = (id: string): string =>
  `Two event handlers share the id "${id}"; give one of them @EventSubscribe(Event, { id: '...' }). The id keys the inbox, so it must be unique and stable.`;

export const requestScopedHandler = (className: string): string =>
  `${className} has @EventSubscribe handlers but is request-scoped; event handlers must be singletons. Its handlers are not registered.`;

export const entitiesNotRegistered = (missing: string[]): string =>
  `The event-bus entities ${missing.join(', ')} are not registered in the TypeORM DataSource. Add EVENT_BUS_ENTITIES to its "entities" (and EVENT_BUS_MIGRATIONS to its "migrations" when synchronize is off).`;

/**
 * No TypeORM DataSource by the name the `dataSource` option gives (`undefined`: the default one).
 * `known` are the names the application has, `'default'` for the unnamed one.
 */
export const dataSourceNotFound = (name: string | undefined, known: string[]): string => {
  const looked =
    name === undefined
      ? 'the option "dataSource" is not set, so it looked for the default DataSource'
      : `the option "dataSource" is "${name}", so it looked for the DataSource named "${name}"`;
  const module =
    name === undefined
      ? 'TypeOrmModule.forRoot({ ... })'
      : `TypeOrmModule.forRoot({ name: '${name}', ... })`;
  const others = known.filter((n) => n !== (name ?? 'default'));
  const alternative =
    others.length === 0
      ? ''
      : ` Or point "dataSource" at one the application has: ${others
          .map((n) =>
            n === 'default' ? 'the default DataSource (leave "dataSource" unset)' : `"${n}"`,
          )
          .join(', ')}.`;
  return (
    `The event bus found no TypeORM DataSource: ${looked}. ` +
    `Import ${module} (or forRootAsync) in your application module and add EVENT_BUS_ENTITIES to its "entities".` +
    alternative
  );
};

export const interceptorSkippedWork = (hook: string): string =>
  `An ${hook} interceptor returned without calling next(): the bus will not treat work that never ran as done.`;

export const noTransaction = (): string =>
  'EventPublisher.publish() needs a transaction so the event commits with your business data: pass { manager } from your transaction, call it inside @Transactional() (ambient transactions need @nestjs-cls/transactional with its TypeORM adapter installed and configured for this DataSource), or pass { newTransaction: true } to publish on its own.';

export const missingPackage = (name: string, feature: string): string =>
  `${feature} needs the package "${name}": npm install ${name}`;

export const unsupportedDatabase = (type: string): string =>
  `The event bus supports PostgreSQL and SQLite (better-sqlite3); the DataSource is "${type}".`;

export const payloadTooLarge = (bytes: number, max: number): string =>
  `Event payload is ${bytes} bytes, over the limit of ${max} bytes (codec.maxMessageBytes).`;

export const unknownEventType = (type: string): string =>
  `Unknown event type "${type}": no event class is registered for it.`;

export const futureEventVersion = (type: string, version: number, known: number): string =>
  `Event "${type}" has version ${version}, newer than the newest known version ${known}; deploy the new event class or an upcaster first.`;

export const missingUpcaster = (type: string, from: number, to: number): string =>
  `Event "${type}" version ${from} cannot be upcast to version ${to}: no upcaster from version ${from}.`;

export const missingHeader = (name: string): string => `Record has no "${name}" header.`;

export const overflowRejected = (topic: string, partition: number, limit: number): string =>
  `In-memory topic "${topic}" partition ${partition} holds ${limit} unconsumed records (transport.maxRecordsPerPartition) and the overflow policy is "reject".`;

export const unknownTopic = (topic: string): string =>
  `Topic "${topic}" does not exist; topics are created at startup for registered events.`;

export const transportClosed = (): string => 'The transport is closed.';

/** One line per failed connection attempt, e.g. `... unreachable (connect ECONNREFUSED), attempt 3, retrying in 1.2 s`. */
export const kafkaBrokerUnreachable = (
  broker: string | undefined,
  reason: string,
  attempt: number | undefined,
  retryInMs: number | undefined,
): string =>
  `Kafka broker ${broker ?? '(seed)'} unreachable (${reason})` +
  (attempt === undefined ? '' : `, attempt ${attempt}`) +
  (retryInMs === undefined ? '' : `, retrying in ${duration(retryInMs)}`);

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** The trace log buffer overflowed; the count of hops it dropped. */
export const traceLogBufferFull = (dropped: number): string =>
  `Trace log buffer full: dropped ${dropped} hops`;

/** The last trace log rows could not be written while shutting down. */
export const traceLogNotFlushedAtShutdown = (reason: string): string =>
  `Trace log rows not written at shutdown: ${reason}`;

/** An in-memory send was aborted while the topic was full. */
export const sendAbortedWaitingForRoom = (): string => 'Send aborted while waiting for room.';

/** A read asked for a partition the topic does not have. */
export const noSuchPartition = (topic: string, partition: number): string =>
  `Topic "${topic}" has no partition ${partition}.`;

/** The scheduled retry of failed outbox rows itself failed. */
export const retryFailedOutboxRowsFailed = (reason: string): string =>
  `Retrying failed outbox rows failed: ${reason}`;

/** One pass of the outbox relay failed; it will try again. */
export const outboxRelayIterationFailed = (reason: string): string =>
  `Outbox relay iteration failed: ${reason}`;

/** The ce_time header is not an RFC 3339 timestamp. */
export const badCeTime = (): string => 'Header ce_time is not an RFC 3339 timestamp.';
