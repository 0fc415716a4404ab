import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule, EventBus, EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { LatencyRecorder, now } from '../lib/metrics';
import { main, ScenarioDriver } from '../lib/scenario';

class UserRegisteredCqrs {
  constructor(
    readonly userId: string,
    readonly name: string,
    readonly createdAt: number,
  ) {}
}

const stats = { latencies: new LatencyRecorder(1), handled: 0 };

@EventsHandler(UserRegisteredCqrs)
class UserRegisteredHandler implements IEventHandler<UserRegisteredCqrs> {
  // async, like handlers users write (and like the event-bus scenario's handler).
  async handle(event: UserRegisteredCqrs): Promise<void> {
    stats.latencies.record(now() - event.createdAt);
    stats.handled += 1;
  }
}

@Module({ imports: [CqrsModule.forRoot()], providers: [UserRegisteredHandler] })
class CqrsBenchModule {}

/** Baseline: @nestjs/cqrs EventBus to an @EventsHandler in one process, no persistence. */
class CqrsDriver implements ScenarioDriver {
  readonly name = 'nestjs-cqrs-inprocess';
  readonly latencies = stats.latencies;
  private app?: INestApplicationContext;
  private bus?: EventBus;

  async setup(): Promise<void> {
    this.app = await NestFactory.createApplicationContext(CqrsBenchModule, {
      logger: ['error', 'warn'],
    });
    this.bus = this.app.get(EventBus);
  }

  async produce(i: number): Promise<void> {
    this.bus!.publish(new UserRegisteredCqrs(`user-${i}`, `name ${i}`, now()));
  }

  handled(): number {
    return stats.handled;
  }

  async teardown(): Promise<void> {
    await this.app?.close();
  }
}

main(() => new CqrsDriver(), { events: 200000, rateEvents: 5000 });
