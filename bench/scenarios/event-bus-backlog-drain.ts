import { report } from '../lib/drain';
import { drainWithTheBus } from './event-bus-drain.driver';

/** Memory under a backlog: 200,000 records drained by the bus, its peak RSS the figure to read. */
report(() => drainWithTheBus('event-bus-backlog-drain', 200_000));
