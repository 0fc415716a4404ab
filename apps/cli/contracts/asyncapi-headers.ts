import { DLQ_HEADERS } from '@nestbus/event-bus';
import { CE_HEADERS } from '@nestbus/event-bus/operations';
import { compare } from './sorted';
import type { JsonSchema } from './event-schema';

// The bus writes these values (event-bus.constants.ts); the entry points do not export them.
const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

const text = (description: string, more: JsonSchema = {}): JsonSchema => ({
  type: 'string',
  description,
  ...more,
});

/**
 * The headers of an event record: CloudEvents 1.0 in Kafka binary mode (the attributes as
 * `ce_*` headers, the payload as the value) plus the bus's extensions.
 */
export function eventHeaders(type: string, version: number): JsonSchema {
  return {
    type: 'object',
    description:
      'CloudEvents 1.0, Kafka binary mode. Other headers may travel too: those the publisher ' +
      'passed to publish({ headers }), and x-replayed-by/-at/-from on an event replayed from a ' +
      'dead-letter topic.',
    required: [
      CE_HEADERS.specVersion,
      CE_HEADERS.id,
      CE_HEADERS.source,
      CE_HEADERS.type,
      CE_HEADERS.time,
      CE_HEADERS.dataVersion,
      CE_HEADERS.contentType,
    ].sort(compare),
    properties: eventHeaderProperties(type, version),
  };
}

/**
 * The headers of a dead letter: the original record's, byte for byte, plus the reasons. The
 * original ones are not required: a poison record (not even an event) is dead-lettered too.
 */
export function deadLetterHeaders(type: string): JsonSchema {
  return {
    type: 'object',
    description:
      `The headers of the original ${type} record, unchanged, plus the x-* headers the ` +
      'consumer adds. A reduced dead letter (the broker refused the full one) keeps only the ' +
      'x-* headers, ce_id, ce_type and ce_dataversion, and has no value.',
    required: [
      DLQ_HEADERS.errorType,
      DLQ_HEADERS.errorMessage,
      DLQ_HEADERS.attempts,
      DLQ_HEADERS.originalTopic,
      DLQ_HEADERS.originalPartition,
      DLQ_HEADERS.originalOffset,
      DLQ_HEADERS.failedAt,
    ].sort(compare),
    properties: {
      ...eventHeaderProperties(type),
      [DLQ_HEADERS.errorType]: text(
        "Why: the handler error's name, or the reason a record was poison " +
          '(malformed, too_large, unknown_type, unsupported_version, validation_failed).',
      ),
      [DLQ_HEADERS.errorMessage]: text('The error message.'),
      [DLQ_HEADERS.attempts]: text('Attempts made, a decimal integer.', { pattern: '^[0-9]+$' }),
      [DLQ_HEADERS.originalTopic]: text('The topic the record was read from.'),
      [DLQ_HEADERS.originalPartition]: text('Its partition.', { pattern: '^[0-9]+$' }),
      [DLQ_HEADERS.originalOffset]: text('Its offset.', { pattern: '^[0-9]+$' }),
      [DLQ_HEADERS.failedAt]: text('When it was dead-lettered.', { format: 'date-time' }),
      [DLQ_HEADERS.handler]: text('The id of the handler that failed; absent for a poison record.'),
      [DLQ_HEADERS.parkedId]: text(
        'Reduced dead letter only: the event_dead_letter row of the consuming service that ' +
          'holds the whole record (`events dlq parked`).',
      ),
      [DLQ_HEADERS.refusal]: text('Reduced dead letter only: why the broker refused the full one.'),
      [DLQ_HEADERS.originalSize]: text("Reduced dead letter only: the original value's bytes.", {
        pattern: '^[0-9]+$',
      }),
    },
  };
}

/** The CloudEvents headers; `type` and, when given, `version` as constants. */
function eventHeaderProperties(type: string, version?: number): Record<string, JsonSchema> {
  return {
    [CE_HEADERS.specVersion]: text('The CloudEvents version.', {
      const: CLOUDEVENTS_SPEC_VERSION,
    }),
    [CE_HEADERS.id]: text(
      'The event id: the same on every delivery and replay of the event; consumers ' +
        'deduplicate on it (the inbox).',
    ),
    [CE_HEADERS.source]: text('The id of the service that sent the event.'),
    [CE_HEADERS.type]: text('The event type.', { const: type }),
    [CE_HEADERS.time]: text('When the event was published (written to the outbox).', {
      format: 'date-time',
    }),
    [CE_HEADERS.dataVersion]: text(
      'The version of the payload schema, a decimal integer.',
      version === undefined ? { pattern: '^[1-9][0-9]*$' } : { const: String(version) },
    ),
    [CE_HEADERS.contentType]: text('The media type of the value.', { const: JSON_CONTENT_TYPE }),
    [CE_HEADERS.traceparent]: text('W3C Trace Context of the publish, when it was traced.'),
    [CE_HEADERS.tracestate]: text('W3C Trace Context vendor state, with traceparent.'),
    [CE_HEADERS.correlationId]: text(
      'The correlation id the publisher gave (publish({ correlationId })), when it gave one.',
    ),
    [CE_HEADERS.destination]: text(
      'The one service the event is for (publish({ destination })); the others skip it.',
    ),
  };
}
