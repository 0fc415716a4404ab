import type { InMemoryBroker } from './in-memory-broker';
import { LEAF, section } from '../../util/option-keys';
import type { OptionChecker } from '../../util/option-checker';

/** The in-memory transport: one process, or several modules sharing one `InMemoryBroker`. */
export interface InMemoryTransportOptions {
  type: 'in-memory';
  /** Share one broker between applications of a process; the process-wide default otherwise. */
  broker?: InMemoryBroker;
}

/** The keys `transport: { type: 'in-memory' }` takes. */
export const IN_MEMORY_OPTION_KEYS = section<InMemoryTransportOptions>({
  type: LEAF,
  broker: LEAF,
});

/** What the transport and its groups call on a broker; looked for by name, since a test may load two copies. */
const BROKER_METHODS = [
  'createTopic',
  'hasTopic',
  'partitions',
  'group',
  'findGroup',
  'append',
  'onCommit',
] as const;

/** Checks `transport: { type: 'in-memory' }`: a broker given has the methods of an `InMemoryBroker`. */
export function checkInMemoryOptions(
  check: OptionChecker,
  options: InMemoryTransportOptions,
): InMemoryTransportOptions {
  if (options.broker === undefined) return options;
  const broker = options.broker as unknown as Record<string, unknown> | null;
  if (BROKER_METHODS.some((method) => typeof broker?.[method] !== 'function')) {
    throw check.error(
      'transport.broker',
      'an InMemoryBroker (new InMemoryBroker())',
      options.broker,
    );
  }
  return options;
}
