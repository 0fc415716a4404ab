import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  Module,
  NotFoundException,
  Param,
} from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import {
  EVENT_BUS_RESOLVED_OPTIONS,
  EventTraceStore,
  type EventTraceEntry,
  type ResolvedEventBusOptions,
} from '@nestbus/event-bus/operations';

const MAX_EVENT_ID_LENGTH = 255;

/** What `GET /events/:id/trace` answers. */
export interface EventTraceResponse {
  eventId: string;
  service: string;
  hops: EventTraceEntry[];
}

/**
 * `GET /events/:id/trace`: the hops this service logged for one event (published and sent
 * where it was published; received, processed, duplicate, failed, dead-lettered where it was
 * handled). Only sampled events are logged (`EVENT_TRACE_SAMPLE_RATE`).
 */
@Controller('events')
export class EventTraceController {
  constructor(
    private readonly traces: EventTraceStore,
    @Inject(EVENT_BUS_RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
  ) {}

  @Get(':id/trace')
  async trace(@Param('id') eventId: string): Promise<EventTraceResponse> {
    if (eventId.length === 0 || eventId.length > MAX_EVENT_ID_LENGTH) {
      throw new BadRequestException(`An event id has 1 to ${MAX_EVENT_ID_LENGTH} characters.`);
    }
    const service = this.options.serviceId;
    if (!this.options.tracing.log.enabled) {
      throw new NotFoundException(
        `The event trace log is off in ${service} (set EVENT_TRACE_SAMPLE_RATE above 0).`,
      );
    }
    const hops = await this.traces.findByEvent(eventId);
    if (hops.length === 0) {
      throw new NotFoundException(
        `No hops of event ${eventId} were logged by ${service}: not seen here yet, or not sampled.`,
      );
    }
    return { eventId, service, hops };
  }
}

/**
 * `GET /metrics` (Prometheus text format: the bus's metrics and the process's) and the event
 * trace endpoint. Default process metrics are registered once per process, so two services in
 * one process (the demo) share them.
 */
@Module({
  imports: [
    PrometheusModule.register({
      defaultMetrics: {
        enabled: register.getSingleMetric('process_cpu_user_seconds_total') === undefined,
      },
    }),
  ],
  controllers: [EventTraceController],
})
export class ServiceObservabilityModule {}
