import { main } from '../lib/scenario';
import { EventBusDriver } from './event-bus.driver';

// The publisher's relay disabled; a second instance on the same database relays, woken by
// PostgreSQL LISTEN/NOTIFY (`BENCH_OUTBOX_NOTIFY=off` leaves it to the 1 s poll).
main(() => new EventBusDriver('cross-instance'));
