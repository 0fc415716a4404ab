import { main } from '../lib/scenario';
import { EventBusDriver } from './event-bus.driver';

/** The guaranteed path with no Kafka: the broker-less transport on a bus database of its own. */
main(() => new EventBusDriver('guaranteed-pg-transport'));
