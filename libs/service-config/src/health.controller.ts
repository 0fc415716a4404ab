import { Controller, Get, Module } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventBusHealthIndicator } from '@nestbus/event-bus';
import { boundedCheck } from './bounded-check';

/** Each check's budget: `/health` answers within ~2 s whatever a dependency does. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * `GET /health` and `/health/ready`: the database answers and the event bus is healthy (broker
 * reachable, consumer groups joined, outbox backlog within bounds); 503 naming what fails and
 * why. Every check is bounded and caught, so a refused or black-holed database gives a 503
 * within seconds, never a 500 or a hang, and the next probe after recovery gives 200 again.
 * `GET /health/live`: the process answers.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly eventBus: EventBusHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.bounded('database', () => this.pingDatabase('database')),
      () => this.bounded('eventBus', () => this.eventBus.isHealthy('eventBus')),
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

  private async pingDatabase<const Key extends string>(
    key: Key,
  ): Promise<HealthIndicatorResult<Key>> {
    await this.dataSource.query('SELECT 1');
    return this.indicators.check(key).up();
  }

  private bounded<const Key extends string>(
    key: Key,
    check: () => Promise<HealthIndicatorResult<Key>>,
  ): Promise<HealthIndicatorResult<Key>> {
    return boundedCheck(check, HEALTH_CHECK_TIMEOUT_MS, (message) =>
      this.indicators.check(key).down({ message }),
    );
  }
}

@Module({ imports: [TerminusModule], controllers: [HealthController] })
export class ServiceHealthModule {}
