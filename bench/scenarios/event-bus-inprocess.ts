import { main } from '../lib/scenario';
import { EventBusDriver } from './event-bus.driver';

main(() => new EventBusDriver('inprocess'), { events: 200000, rateEvents: 5000 });
