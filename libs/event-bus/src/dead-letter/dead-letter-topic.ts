/**
 * How dead-letter topics are named, in one place: the consumer writes to them, the orchestrator
 * creates them, and the operator tools find and replay them by these rules.
 */
const DEAD_LETTER_SUFFIX = '.dlq';

/** The dead-letter topic of a topic: `<topic>.dlq`. */
export const deadLetterTopic = (topic: string): string => `${topic}${DEAD_LETTER_SUFFIX}`;

export const isDeadLetterTopic = (topic: string): boolean => topic.endsWith(DEAD_LETTER_SUFFIX);

/** The topic whose dead letters `topic` holds; `topic` itself when it is not a dead-letter topic. */
export const topicOfDeadLetters = (topic: string): string =>
  isDeadLetterTopic(topic) ? topic.slice(0, -DEAD_LETTER_SUFFIX.length) : topic;

/** `name` when it already is a dead-letter topic, else its dead-letter topic. */
export const asDeadLetterTopic = (name: string): string =>
  isDeadLetterTopic(name) ? name : deadLetterTopic(name);
