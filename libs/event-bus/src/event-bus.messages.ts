/* Every message the event bus shows a user, in one place, as small functions. */

import type { UnknownOptionKey } from './util/option-keys';

export const invalidOption = (path: string, expected: string, got: unknown): string =>
  `Invalid event-bus option "${path}": expected ${expected}, got ${describe(got)}.`;

/** A handler's own `retry` fails the same checks as `consumer.retry`, into which it merges. */
export const invalidHandlerRetry = (decorator: string, handler: string, reason: string): string =>
  `${decorator} of ${handler} has a bad "retry" option (merged into consumer.retry): ${reason}`;

export const invalidFailurePolicy = (decorator: string, handler: string, got: unknown): string =>
  `${decorator} of ${handler} has a bad "onFailure" option: expected a failure policy function (see FailurePolicies), got ${describe(got)}.`;

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

/* @nestjs/microservices: EventBusServer and EventBusClient. */

export const handlerAfterStart = (id: string): string =>
  `Handler ${id} was registered after the consumer started, so it would never receive an event. Connect EventBusServer before the application starts: app.connectMicroservice({ strategy: app.get(EventBusServer) }) before app.init() or app.listen().`;

export const serverEmitsNothing = (): string =>
  'EventBusServer emits no events: use the bus interceptors and health checks.';

export const serverWrapsNoClient = (): string =>
  'EventBusServer wraps no client: inject the bus providers instead.';

export const eventPatternNotAString = (pattern: string): string =>
  `EventBusServer serves string patterns, the event types: ${pattern} is not one. Write @EventPattern('<event type>').`;

export const messagePatternRefused = (pattern: string): string =>
  `EventBusServer refuses @MessagePattern('${pattern}'): the bus carries events, not requests. Use @EventPattern for events, and HTTP or another Nest transport for request-response.`;

export const unknownEventPattern = (pattern: string): string =>
  `@EventPattern('${pattern}') names no event type the bus knows. List its @IntegrationEvent class in EventBusModule.forFeature({ events: [...] }) of the module, or fix the pattern.`;

export const eventPatternIdsNeeded = (pattern: string, methods: string[]): string =>
  `Several @EventPattern('${pattern}') handlers (${methods.join(', ')}): give each a stable inbox id, as @EventPattern('${pattern}', { id: 'Projector.onEvent' }).`;

export const eventPatternSubscribed = (id: string, type: string, group: string): string =>
  `Subscribed @EventPattern ${id} to ${type} (group ${group})`;

export const unknownEmitPattern = (pattern: string): string =>
  `EventBusClient.emit(${pattern}, ...) names no event type the bus knows. List its @IntegrationEvent class in EventBusModule.forFeature({ events: [...] }), or fix the pattern.`;

export const clientSendRefused = (): string =>
  'EventBusClient refuses send(): the bus carries events, not requests. Use emit() for events.';

export const clientUnwrapRefused = (): string =>
  'EventBusClient wraps no broker client: inject EventPublisher for the whole publishing API.';

export const pipeRejectedEvent = (handler: string, error: string): string =>
  `A pipe of ${handler} refused the event: ${error}`;

export const handlerRefusedByGuard = (handler: string): string =>
  `A guard of ${handler} refused the event`;

/** The reason of the discard decision a guard's refusal becomes (no failure policy is asked). */
export const GUARD_REFUSED_REASON = 'refused by a guard';

export const handlerRefusedEvent = (handler: string, eventId: string): string =>
  `${handler} skipped event ${eventId}: a guard refused it (recorded as discarded)`;

/** A failure policy threw or answered something it may not; the record is dead-lettered. */
export const failurePolicyFailed = (handler: string, problem: string): string =>
  `The failure policy of ${handler} ${problem}; dead-lettering the event instead`;

/** The `problem`s of {@link failurePolicyFailed}. */
export const policyThrew = (error: string): string => `threw (${error})`;

export const policyAnsweredNoDecision = (): string => 'answered something that is not a decision';

export const policyRetryDelayOutOfRange = (delayMs: unknown, maxMs: number): string =>
  `asked to retry after ${String(delayMs)} ms (0 to ${maxMs} ms)`;

export const policyDiscardedWithoutReason = (): string => 'discarded without a reason';

export const policyHeldPermanentFailure = (action: string): string =>
  `asked to ${action} for input that can never succeed (it failed to upcast or validate, or the error is non-retriable)`;

/** Who a record was parked for, when it reached no handler (it failed before routing). */
export const NO_HANDLER = 'no handler';

/** The `refusal` column of a record a failure policy parked (no broker refused it). */
export const parkedByPolicy = (handler: string | undefined): string =>
  `parked by the failure policy of ${handler ?? NO_HANDLER} (no dead-letter topic)`;

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

export const storageNotAnAdapter = (): string =>
  'The "storage" option of EventBusModule.forRoot() must be a storage adapter: { name, providers }, such as typeOrmStorage() (the default when "storage" is left out).';

export const storagePortsMissing = (name: string, ports: string[]): string =>
  `The "storage" adapter "${name}" provides no ${ports.join(', ')}: a storage adapter provides every port (UnitOfWork, OutboxStore, InboxStore, ParkedDeadLetterStore, EventTraceStore) under the port's class, as { provide: OutboxStore, useClass: ... }. See ARCHITECTURE.md, "A storage adapter".`;

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

/** The payload of an event being published is over `codec.maxMessageBytes`. */
export const eventPayloadTooLarge = (type: string, bytes: number, max: number): string =>
  `${type}: ${payloadTooLarge(bytes, max)}`;

export const unknownEventType = (type: string): string =>
  `Unknown event type "${type}": no event class is registered for it.`;

export const futureEventVersion = (type: string, version: number, known: number): string =>
  `Event "${type}" has version ${version}, newer than the newest known version ${known}; deploy the new event class or an upcaster first.`;

export const missingUpcaster = (type: string, from: number, to: number): string =>
  `Event "${type}" version ${from} cannot be upcast to version ${to}: no upcaster from version ${from}.`;

export const missingHeader = (name: string): string => `Record has no "${name}" header.`;

export const overflowRejected = (topic: string, partition: number, limit: number): string =>
  `In-memory topic "${topic}" partition ${partition} holds ${limit} unconsumed records (InMemoryBroker maxRecordsPerPartition) and the overflow policy is "reject".`;

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

// consuming

export const processingStopped = (): string =>
  'The consumer stopped before the record was processed; it will be redelivered.';

export const partitionMovesAgain = (partition: string, seconds: number): string =>
  `${partition} moves again after waiting ${seconds} s for an unavailable dependency`;

export const partitionWaitsForDependency = (partition: string, error: string): string =>
  `${partition} waits: a dependency is unavailable (${error}); retrying until it is back, without spending retries`;

export const partitionStillWaiting = (partition: string, seconds: number, error: string): string =>
  `${partition} still waiting after ${seconds} s: ${error}`;

export const consumerGroupReads = (group: string, topics: string): string =>
  `Consumer group "${group}" reads ${topics}`;

export const handlersOutlivedShutdown = (timeoutMs: number): string =>
  `Handlers still running after ${timeoutMs} ms (shutdownTimeoutMs); closing without them`;

export const handlerSubscribed = (handler: string, type: string, group: string): string =>
  `Handler ${handler} subscribed to ${type} (group "${group}")`;

// dead letters

export const deadLettered = (at: string, handler: string | undefined, errorType: string): string =>
  `Dead-lettered ${at}${handler ? ` for ${handler}` : ''}: ${errorType}`;

export const reducedDeadLetterRefused = (at: string, parkedId: string, error: string): string =>
  `The broker refused even the reduced dead letter of ${at}; the record is kept as event_dead_letter ${parkedId}: ${error}`;

export const deadLetterSendFailed = (at: string, attempt: number, error: string): string =>
  `Dead-letter send for ${at} failed (attempt ${attempt}); retrying: ${error}`;

export const parkedByFailurePolicy = (
  at: string,
  handler: string,
  errorType: string,
  parkedId: string,
): string =>
  `Parked ${at} for ${handler}: ${errorType}; kept whole as event_dead_letter ${parkedId}`;

export const deadLetterRefusedAndParked = (at: string, refusal: string, parkedId: string): string =>
  `The broker refused the dead letter of ${at} (${refusal}); kept whole as event_dead_letter ${parkedId}, sending a reduced letter`;

export const parkingFailed = (at: string, attempt: number, error: string): string =>
  `Keeping the refused dead letter of ${at} in the database failed (attempt ${attempt}); retrying: ${error}`;

/** The refusal header of a reduced dead letter: where its full record went. */
export const reducedLetterRefusal = (): string =>
  'the broker refused the full dead letter; see event_dead_letter';

// observability

export const metricsOffWithoutPromClient = (): string =>
  'Metrics are off: prom-client is not installed (npm install prom-client for metrics)';

export const tracingOffWithoutOpenTelemetry = (): string =>
  'Tracing is off: @opentelemetry/api is not installed (npm install @opentelemetry/api for spans)';

/** Why a scrape-time reading counts as failed when it is slow. */
export const scrapeReadingTimedOut = (): string => 'no answer in time';

/** `what` is "the broker" or "the database". */
export const healthReadingTimedOut = (what: string, timeoutMs: number): string =>
  `${what} did not answer within ${timeoutMs / 1000} s`;

export const traceLogFlushTimedOut = (): string => 'trace log flush took too long';

export const scrapeReadingFailed = (error: string): string =>
  `A scrape-time reading failed (${error}); keeping the last value`;

export const traceLogWriteFailed = (rows: number, error: string): string =>
  `Writing ${rows} trace log rows failed; dropped: ${error}`;

export const interceptorObserverThrew = (hook: string, error: string): string =>
  `Interceptor ${hook} threw; ignored: ${error}`;

// transports

export const commitRefusedNotAssigned = (topic: string, partition: number, group: string): string =>
  `Commit refused: ${topic}[${partition}] is no longer assigned to this member of group "${group}".`;

export const inMemoryBatchFailed = (topic: string, partition: number, error: string): string =>
  `Batch of ${topic}[${partition}] failed; redelivering from the last commit: ${error}`;

export const topicFullSenderWaits = (topic: string, partition: number): string =>
  `Topic ${topic}[${partition}] is full; sender waits`;

export const kafkaConnectFailed = (brokers: string, error: string): string =>
  `Cannot connect to Kafka at ${brokers}: ${error}`;

export const topicsCreated = (topics: string): string => `Created topics ${topics}`;

export const topicsNotCreated = (topics: string, brokers: string, error: string): string =>
  `Cannot create topics ${topics} on ${brokers}: ${error}. ` +
  'Check that the brokers are reachable and that this client may create topics, or create them beforehand.';

export const kafkaSendFailed = (error: string): string => `Kafka send failed: ${error}`;

/** Why a send counts as failed when the broker did not acknowledge it in time. */
export const kafkaSendNotAcknowledged = (timeoutMs: number): string =>
  `no acknowledgement within ${timeoutMs} ms (sendTimeoutMs)`;

export const kafkaDidNotAnswer = (timeoutMs: number): string =>
  `Kafka did not answer within ${timeoutMs / 1000} s`;

export const kafkaConsumerCrashed = (group: string, error: string): string =>
  `Consumer of group "${group}" crashed; restarting: ${error}`;

export const kafkaFetchFailed = (group: string, error: string, retryMs: number): string =>
  `Consumer of group "${group}" cannot fetch; retrying in ${retryMs} ms: ${error}`;

export const kafkaBatchFailed = (topic: string, partition: number, error: string): string =>
  `Batch of ${topic}[${partition}] failed; fetching it again from the last commit: ${error}`;

/** A @platformatic/kafka client reported a failure of a task of its own (a metadata refresh). */
export const kafkaClientError = (error: string): string =>
  `The Kafka client reported an error of a background task: ${error}`;

export const topicReadIdle = (topic: string, seconds: number, partitions: number): string =>
  `No records of "${topic}" arrived for ${seconds} s ` +
  `while ${partitions} partition(s) still had records to read.`;

// lifecycle

export const busStarted = (service: string, transport: string): string =>
  `Event bus of "${service}" started on the ${transport} transport`;

export const busStopped = (service: string): string => `Event bus of "${service}" stopped`;

// decoding

export const upcastFailed = (type: string, version: number, error: string): string =>
  `Upcasting "${type}" from version ${version} failed: ${error}`;

export const unsupportedSpecVersion = (specVersion: string): string =>
  `Unsupported CloudEvents specversion "${specVersion}".`;

export const badDataVersion = (version: string): string =>
  `Header ce_dataversion "${version}" is not a positive integer.`;

export const unsupportedContentType = (contentType: string, expected: string): string =>
  `Content type "${contentType}" is not ${expected}.`;

export const dataNotAnObject = (type: string): string =>
  `Event "${type}" data is not a JSON object.`;

export const validationFailed = (type: string, reasons: string): string =>
  `Event "${type}" failed validation: ${reasons}`;

export const valueNotAcceptable = (reason: string): string =>
  `Record value is not acceptable: ${reason}.`;

export const headerTooLong = (name: string, max: number): string =>
  `Header "${name}" is longer than ${max} characters.`;

// decoding: structured mode (the attribute names quoted come from the record, so they are cut short)

const attributeName = (name: string): string => JSON.stringify(name.slice(0, 64));

export const structuredEventTooLarge = (bytes: number, limit: number, max: number): string =>
  `Structured CloudEvent is ${bytes} bytes, over the limit of ${limit} bytes (codec.maxMessageBytes ${max} for the data, plus room for its attributes and base64).`;

export const structuredEventNotAnObject = (): string =>
  'Structured CloudEvent is not a JSON object (content type application/cloudevents+json).';

export const tooManyAttributes = (count: number, max: number): string =>
  `Structured CloudEvent has ${count} members, over the limit of ${max}.`;

export const badAttributeName = (name: string): string =>
  `Structured CloudEvent member ${attributeName(name)} is not a CloudEvents attribute name (1 to 64 lower-case letters or digits).`;

export const missingAttribute = (name: string): string =>
  `Structured CloudEvent has no ${attributeName(name)} attribute.`;

export const attributeNotString = (name: string, got: string): string =>
  `Attribute ${attributeName(name)} is ${got}, not a string.`;

export const badExtensionValue = (name: string, got: string): string =>
  `Extension attribute ${attributeName(name)} is ${got}: not a string, an integer or a boolean.`;

export const attributeTooLong = (name: string, max: number): string =>
  `Attribute ${attributeName(name)} is longer than ${max} characters.`;

export const badAttribute = (name: string, value: string, expected: string): string =>
  `Attribute ${attributeName(name)} ${JSON.stringify(value.slice(0, 64))} is not ${expected}.`;

export const structuredDataMissing = (): string =>
  'Structured CloudEvent has neither "data" nor "data_base64": the bus carries no event without data.';

export const structuredDataTwice = (): string =>
  'Structured CloudEvent has both "data" and "data_base64"; the JSON event format allows one.';

export const structuredDataNotAnObject = (got: string): string =>
  `Structured CloudEvent "data" is ${got}, not a JSON object.`;

export const dataBase64Invalid = (reason: string): string =>
  `Structured CloudEvent "data_base64" is not acceptable: ${reason}.`;

export const structuredDataNotBytes = (contentType: string): string =>
  `Structured CloudEvent data of content type "${contentType.slice(0, 128)}" must be "data_base64" or a string "data".`;

// decoding: payload codecs

export const payloadDecodeFailed = (contentType: string, error: string): string =>
  `Payload codec for ${contentType} could not decode the record: ${error}`;

export const payloadCodecIsAsync = (contentType: string): string =>
  `Payload codec for ${contentType} answered with a promise: call CloudEventCodec.decodeRecord or encodeRecord, which may return one.`;

// maintenance

export const failedOutboxRowsRequeued = (rows: number): string =>
  `Put ${rows} failed outbox rows back in line (outbox.retryFailedEveryMs)`;

export const retentionCleaned = (outbox: number, inbox: number, traces: number): string =>
  `Removed ${outbox} published outbox rows, ${inbox} inbox rows and ${traces} trace rows past retention`;

export const retentionCleanupFailed = (error: string): string =>
  `Retention clean-up failed: ${error}`;

// publishing

export const notAnEventInstance = (): string =>
  'publish() takes event instances (objects of an @IntegrationEvent() class).';

export const badEventKey = (type: string, maxLength: number): string =>
  `Event key of "${type}" must be a string of 1 to ${maxLength} characters.`;

export const headerNotAllowed = (name: string): string =>
  `Header "${name}" is not allowed: use a string value and a name not starting with "ce_".`;

export const joiningAmbientTransactions = (): string =>
  'Joining @nestjs-cls/transactional ambient transactions';

export const ambientHostOtherDataSource = (): string =>
  'The @nestjs-cls/transactional host manages another DataSource than the event bus; publish with { manager } or configure the plugin for this DataSource to join its transactions.';

// relay

export const resendingAfterRestart = (rows: number, transport: string): string =>
  `Re-sending ${rows} recently published events: the ${transport} transport keeps nothing across restarts`;

export const relayWorksAgain = (seconds: number): string =>
  `Outbox relay works again after ${seconds} s`;

export const relayWaitsForDatabase = (error: string): string =>
  `Outbox relay waits: the database is unavailable (${error}); no row is lost or failed meanwhile`;

export const relayStillWaiting = (seconds: number, error: string): string =>
  `Outbox relay still waiting for the database after ${seconds} s: ${error}`;

export const outboxSendFailed = (rows: number, error: string): string =>
  `Sending ${rows} outbox rows failed; will retry: ${error}`;

export const outboxRowSendFailed = (id: string, type: string, error: string): string =>
  `Sending outbox row ${id} (${type}) failed: ${error}`;

// operations

/** A dead-letter topic asked for does not exist; names (some of) the ones that do. */
export const deadLetterTopicMissing = (
  candidates: string[],
  known: string[],
  maxListed: number,
): string =>
  `Dead-letter topic ${candidates.map((c) => `"${c}"`).join(' or ')} does not exist. ` +
  (known.length === 0
    ? 'There are no dead-letter topics.'
    : `Dead-letter topics: ${known.slice(0, maxListed).join(', ')}` +
      `${known.length > maxListed ? ` and ${known.length - maxListed} more` : ''}.`);

export const offsetNotInPartition = (
  topic: string,
  partition: number,
  range: { low: string; high: string },
  offset: string,
): string =>
  range.low === range.high
    ? `Partition ${partition} of "${topic}" holds no records.`
    : `Partition ${partition} of "${topic}" holds offsets ${range.low} to ` +
      `${BigInt(range.high) - 1n}; ${offset} is not among them.`;

// testing

export const testNoOutcome = (
  status: string,
  type: string,
  handler: string | undefined,
  seen: string,
): string => `No ${status} outcome for "${type}"${handler ? ` in ${handler}` : ''}; seen: ${seen}`;

export const testTooFewOutcomes = (
  count: number,
  status: string,
  type: string,
  seen: number,
): string => `Expected ${count} ${status} outcomes for "${type}", saw ${seen}`;

export const testNotPublished = (type: string, match: string, sent: number): string =>
  `No "${type}" event matching ${match} was published; sent: ${sent}`;

export const testTimedOut = (timeoutMs: number, seen: string): string =>
  `Timed out after ${timeoutMs} ms. ${seen}`;

export const testNotAnEventClass = (className: string): string =>
  `${className} is not an @IntegrationEvent() class.`;

// outbox notifications (PostgreSQL LISTEN)

/** Who holds a LISTEN connection, and what delivers while it is gone (messages below). */
export interface ListenerRole {
  /** `Outbox relay`, `PostgreSQL transport` */
  name: string;
  /** `other instances' commits reach it at its poll meanwhile` */
  meanwhile: string;
}

export const RELAY_LISTENER: ListenerRole = {
  name: 'Outbox relay',
  meanwhile: "other instances' commits reach it at its poll meanwhile",
};

export const TRANSPORT_LISTENER: ListenerRole = {
  name: 'PostgreSQL transport',
  meanwhile: 'appends reach the consumers at their poll meanwhile',
};

/** Why the listener reconnects when the server ended its connection without an error. */
export const listenConnectionEnded = (): string => 'connection ended';

export const listenFailed = (role: ListenerRole, channel: string, error: string): string =>
  `${role.name} cannot LISTEN on "${channel}" (${error}); reconnecting with backoff, ` +
  `and ${role.meanwhile}`;

export const listenLost = (role: ListenerRole, channel: string, error: string): string =>
  `${role.name} lost its LISTEN connection on "${channel}" (${error}); reconnecting with ` +
  `backoff, and ${role.meanwhile}`;

export const listensAgain = (role: ListenerRole, channel: string, seconds: number): string =>
  `${role.name} listens on "${channel}" again after ${seconds} s`;

export const outboxListenCheckTimedOut = (ms: number): string =>
  `The LISTEN connection did not answer a check within ${ms} ms`;

// The PostgreSQL transport (transport.type "postgres").

export const busDatabaseUnreachable = (error: string): string =>
  `The bus database (transport "postgres") failed: ${error}`;

/** What {@link busDatabaseUnreachable} says when the topic reader was used before `connect`. */
export const readerNotConnected = (): string => 'the reader is not connected';

export const retentionRoundFailed = (error: string): string =>
  `A retention round of the bus database's log failed; the next round tries again: ${error}`;

export const busSchemaBehind = (current: number, needed: number): string =>
  `The bus database's schema is at version ${current}, this version of the bus needs ${needed}; ` +
  'start one instance with transport.migrate true (the default) to apply the migrations.';

export const busTopicMissing = (topic: string): string =>
  `Topic "${topic}" does not exist in the bus database; create it with \`events topics ensure\` ` +
  'or let a service that declares it start first.';

export const busTopicPartitionsDiffer = (topic: string, has: number, asked: number): string =>
  `Topic "${topic}" has ${has} partitions in the bus database, not ${asked}; partitions are fixed once made.`;

export const busBatchFailed = (topic: string, partition: number, error: string): string =>
  `A batch of ${topic}[${partition}] failed; the partition reads again from its last commit: ${error}`;

export const busUnreachable = (groupId: string, error: string): string =>
  `Consumer group "${groupId}" cannot read the bus database (${error}); its partitions wait and ` +
  'retry with backoff (leases not renewed run out, and the partitions move on once it is back)';

export const busStillUnreachable = (groupId: string, seconds: number, error: string): string =>
  `Consumer group "${groupId}" still cannot read the bus database after ${seconds} s: ${error}`;

export const busWorksAgain = (groupId: string, seconds: number): string =>
  `Consumer group "${groupId}" reads the bus database again after ${seconds} s`;
