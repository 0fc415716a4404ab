import { Controller, Get, Module } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  TerminusModule,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { EventBusHealthIndicator } from '@app/event-bus';

/**
 * `GET /health` and `/health/ready`: the database answers and the event bus is healthy (broker
 * reachable, consumer groups joined, outbox backlog within bounds); 503 naming what fails.
 * `GET /health/live`: the process answers.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly eventBus: EventBusHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 1500 }),
      () => this.eventBus.isHealthy('eventBus'),
    ]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.check();
  }

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController] })
export class ServiceHealthModule {}
