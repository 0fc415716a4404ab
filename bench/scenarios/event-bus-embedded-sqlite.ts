import { main } from '../lib/scenario';
import { EventBusDriver } from './event-bus.driver';

main(() => new EventBusDriver('embedded-sqlite'));
