import { CE_HEADERS, DLQ_HEADERS } from '../event-bus.constants';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import type { DeadLetter } from './dead-letter.interface';
import { deadLetterAddress } from './dead-letter.reader';
import { REPLAY_HEADERS } from './replay.constants';

/** Who replays, and when: stamped on every row of one replay. */
export interface ReplayStamp {
  by: string;
  at: Date;
}

export type ReplayRow = { row: OutboxMessage } | { skip: string };

/** Column sizes of `event_outbox` (see OutboxMessage). */
const LIMITS = { id: 36, type: 200, key: 255, topic: 249, destination: 200 } as const;
const FAILURE_HEADERS = new Set<string>(Object.values(DLQ_HEADERS));
const REPLAY_HEADER_NAMES = new Set<string>(Object.values(REPLAY_HEADERS));

/**
 * The outbox row that sends a dead letter's event again, to its original topic, as the same
 * event: same id (so consumers' inboxes skip handlers that already succeeded), type, version,
 * key (so the relay keeps its order), destination, payload and headers. The failure headers are
 * left out (the letter keeps them, and `x-replayed-from` points at it); the replay headers say
 * who replayed it, when, and from where. The relay stamps `ce_source` and `ce_time` itself (its
 * service, the row's `created_at` = the replay time); the original time travels as
 * `x-original-time`.
 *
 * Returns why not instead when the letter is not an event the bus can replay.
 */
export function buildReplayRow(letter: DeadLetter, stamp: ReplayStamp): ReplayRow {
  const problem = check(letter);
  if (problem) return { skip: problem };

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (!FAILURE_HEADERS.has(name) && !REPLAY_HEADER_NAMES.has(name)) headers[name] = value;
  }
  headers[REPLAY_HEADERS.by] = stamp.by;
  headers[REPLAY_HEADERS.at] = stamp.at.toISOString();
  headers[REPLAY_HEADERS.from] = deadLetterAddress(letter);
  // A replayed event dead-lettered again: its first time, not the earlier replay's.
  const originalTime = letter.headers[REPLAY_HEADERS.originalTime] || letter.time;
  if (originalTime) headers[REPLAY_HEADERS.originalTime] = originalTime;

  const row = new OutboxMessage();
  row.id = letter.eventId!;
  row.type = letter.type!;
  row.version = letter.version === null ? 1 : Number(letter.version);
  row.key = letter.key;
  row.topic = letter.originalTopic;
  row.destination = letter.headers[CE_HEADERS.destination] || null;
  row.payload = letter.value.toString('utf8');
  row.headers = JSON.stringify(headers);
  row.status = 'pending';
  row.attempts = 0;
  row.nextAttemptAt = stamp.at;
  row.lastError = null;
  row.createdAt = stamp.at;
  row.publishedAt = null;
  return { row };
}

function check(letter: DeadLetter): string | undefined {
  if (!letter.eventId) return `no ${CE_HEADERS.id} header: not an event of the bus`;
  if (!letter.type) return `no ${CE_HEADERS.type} header: not an event of the bus`;
  if (letter.eventId.length > LIMITS.id) {
    return `event id longer than ${LIMITS.id} characters cannot be an outbox id`;
  }
  if (letter.type.length > LIMITS.type) return `type longer than ${LIMITS.type} characters`;
  if (letter.key !== null && letter.key.length > LIMITS.key) {
    return `key longer than ${LIMITS.key} characters`;
  }
  if (letter.originalTopic.length > LIMITS.topic) {
    return `topic longer than ${LIMITS.topic} characters`;
  }
  const destination = letter.headers[CE_HEADERS.destination];
  if (destination && destination.length > LIMITS.destination) {
    return `destination longer than ${LIMITS.destination} characters`;
  }
  if (letter.version !== null && !/^[1-9][0-9]{0,8}$/.test(letter.version)) {
    return `${CE_HEADERS.dataVersion} "${letter.version}" is not a positive integer`;
  }
  if (!isJson(letter.value)) {
    return 'payload is not JSON; replayed, it would be dead-lettered again';
  }
  return undefined;
}

function isJson(value: Buffer): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(value));
    return true;
  } catch {
    return false;
  }
}
