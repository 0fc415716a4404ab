import { report } from '../lib/drain';
import { drainWithTheBus } from './event-bus-drain.driver';

/** The consumer stage: 100,000 records drained by the bus. Compare `consumer-drain-nestjs`. */
report(() => drainWithTheBus('consumer-drain-event-bus', 100_000));
