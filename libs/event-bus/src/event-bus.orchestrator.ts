import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { EVENT_BUS_RESOLVED_OPTIONS, EVENT_TRANSPORT } from './event-bus.constants';
import type { ResolvedEventBusOptions } from './interfaces/event-bus-options.interface';
import type { EventTransport, TopicSpec } from './transports/event-transport.interface';
import {
  busStarted,
  busStopped,
  traceLogFlushTimedOut,
  traceLogNotFlushedAtShutdown,
} from './event-bus.messages';
import { UnitOfWork } from './storage/unit-of-work';
import { EventTypeRegistry } from './envelope/event-type.registry';
import { EventConsumer } from './consumer/event-consumer';
import { deadLetterTopic } from './dead-letter/dead-letter-topic';
import { OutboxRelay } from './outbox/outbox.relay';
import { TraceLogInterceptor } from './observability/trace-log.interceptor';
import { withTimeout } from './util/with-timeout';
import { describeError } from './util/describe-error';
import { EventBusMaintenance } from './event-bus.maintenance';

/**
 * Starts the bus once the application is wired (topics, consumers, relay) and stops it before
 * shutdown in the safe order: consumers first (handlers finish and commit), then the relay,
 * then the transport.
 */
@Injectable()
export class EventBusOrchestrator implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventBusOrchestrator.name);
  private started = false;

  constructor(
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Inject(EVENT_TRANSPORT) private readonly transport: EventTransport,
    private readonly db: UnitOfWork,
    private readonly types: EventTypeRegistry,
    private readonly consumer: EventConsumer,
    private readonly relay: OutboxRelay,
    private readonly maintenance: EventBusMaintenance,
    private readonly traceLog: TraceLogInterceptor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.db.verify();

    // First: it can fail (a job name already taken) before anything else runs.
    this.maintenance.start();
    try {
      await this.transport.connect();
      await this.transport.ensureTopics(this.topics());
      if (this.options.consumer.enabled) await this.consumer.start();
      if (this.options.outbox.enabled) await this.relay.start();
    } catch (error) {
      await this.maintenance.stop();
      throw error;
    }
    this.started = true;
    this.logger.log(busStarted(this.options.serviceId, this.transport.name));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.consumer.stop();
    await this.relay.stop();
    await this.maintenance.stop();
    // Before the DataSource closes (TypeORM closes it in onApplicationShutdown), and bounded:
    // a database that does not answer must not hold the shutdown.
    await withTimeout(
      this.traceLog.flush(),
      this.options.shutdownTimeoutMs,
      traceLogFlushTimedOut(),
    ).catch((error: unknown) =>
      this.logger.warn(traceLogNotFlushedAtShutdown(describeError(error))),
    );
    await this.transport.close();
    this.logger.log(busStopped(this.options.serviceId));
  }

  /** Topics of every known event type, plus a dead-letter topic for each consumed one. */
  private topics(): TopicSpec[] {
    const { partitions, replicationFactor } = this.options.topics;
    const names = new Set(this.types.all().map((d) => d.topic));
    for (const group of this.consumer.plannedGroups()) {
      for (const topic of group.topics) names.add(deadLetterTopic(topic));
    }
    return [...names].sort().map((name) => ({ name, partitions, replicationFactor }));
  }
}
