import type { InMemoryBroker } from './in-memory-broker';
import { LEAF, section } from '../../util/option-keys';

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
