import { Injectable, OnModuleInit } from '@nestjs/common';
import { Interval, ScheduleModule, SchedulerRegistry, Timeout } from '@nestjs/schedule';
import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import {
  bootTestApp,
  compileTestApp,
  outboxRow,
  waitUntil,
} from './__fixtures__/event-bus-test-app';
import { EVENT_BUS_JOBS, EVENT_BUS_SCHEDULER } from './event-bus.constants';
import type { EventBusModuleOptions } from './interfaces/event-bus-options.interface';
import { OutboxMessage } from './storage/typeorm/entities/outbox-message.entity';

/** An application's own scheduled work, next to the bus's. */
@Injectable()
class AppJobs {
  timeoutRan = false;

  @Interval('app:report', 60_000)
  report(): void {}

  @Timeout(10)
  once(): void {
    this.timeoutRan = true;
  }
}

describe('EventBusMaintenance', () => {
  let app: TestingModule | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const boot = async (bus: Partial<EventBusModuleOptions>, row: Partial<OutboxMessage>) => {
    // The relay stays off, so a retried row stays pending where the spec can see it.
    app = await bootTestApp({ bus: { ...bus, outbox: { enabled: false, ...bus.outbox } } });
    const rows = app.get(DataSource).getRepository(OutboxMessage);
    await rows.insert(outboxRow('0192a3b4-0000-7000-8000-00000000000f', row));
    return rows;
  };

  it('puts failed rows back in line every outbox.retryFailedEveryMs', async () => {
    const rows = await boot(
      { outbox: { retryFailedEveryMs: 1000 } },
      { status: 'failed', attempts: 10 },
    );
    await waitUntil(
      async () => (await rows.findOneByOrFail({})).status === 'pending',
      'the failed row to be retried',
    );
    expect((await rows.findOneByOrFail({})).attempts).toBe(0);
  });

  it('leaves failed rows alone by default', async () => {
    const rows = await boot({}, { status: 'failed', attempts: 10 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await rows.findOneByOrFail({})).status).toBe('failed');
  });

  it('deletes rows past retention every maintenance.cleanupEveryMs', async () => {
    const rows = await boot(
      { outbox: { retentionMs: 0 }, maintenance: { cleanupEveryMs: 1000 } },
      { status: 'published', publishedAt: new Date(Date.now() - 1000) },
    );
    await waitUntil(async () => (await rows.count()) === 0, 'the published row to be deleted');
  });

  it('runs its jobs in a SchedulerRegistry of its own when the application has none, and removes them at shutdown', async () => {
    app = await bootTestApp({ bus: { outbox: { retryFailedEveryMs: 60_000 } } });
    const scheduler = app.get<SchedulerRegistry>(EVENT_BUS_SCHEDULER);
    expect(scheduler).toBeInstanceOf(SchedulerRegistry);
    expect(scheduler.getIntervals()).toEqual([EVENT_BUS_JOBS.cleanup, EVENT_BUS_JOBS.retryFailed]);

    await app.close();
    app = undefined;
    expect(scheduler.getIntervals()).toEqual([]);
  });

  it('schedules no retry job while outbox.retryFailedEveryMs is 0', async () => {
    app = await bootTestApp();
    expect(app.get<SchedulerRegistry>(EVENT_BUS_SCHEDULER).getIntervals()).toEqual([
      EVENT_BUS_JOBS.cleanup,
    ]);
  });

  it.each([
    ['ScheduleModule.forRoot()', ScheduleModule.forRoot()],
    ['ScheduleModule.forRoot() with other options', ScheduleModule.forRoot({ timeouts: false })],
  ])(
    "joins the application's SchedulerRegistry when it imports %s, beside its jobs, once",
    async (_name, schedule) => {
      app = await bootTestApp({ imports: [schedule], providers: [AppJobs] });
      const scheduler = app.get(SchedulerRegistry);
      expect(app.get(EVENT_BUS_SCHEDULER)).toBe(scheduler);
      expect(scheduler.getIntervals().sort()).toEqual(
        ['app:report', EVENT_BUS_JOBS.cleanup].sort(),
      );

      await app.close();
      app = undefined;
      // Both ScheduleModule's shutdown hook and the bus's remove jobs; neither may fail on the other.
      expect(scheduler.getIntervals()).toEqual([]);
    },
  );

  it('fails startup when the job name is taken, and leaves no timer of its own running', async () => {
    const squatter = setInterval(() => undefined, 60_000);
    @Injectable()
    class Squatter implements OnModuleInit {
      constructor(private readonly scheduler: SchedulerRegistry) {}
      // Before the bus starts its jobs at bootstrap.
      onModuleInit(): void {
        this.scheduler.addInterval(EVENT_BUS_JOBS.cleanup, squatter);
      }
    }
    const cleared = jest.spyOn(global, 'clearInterval');
    try {
      const failing = await compileTestApp({
        imports: [ScheduleModule.forRoot()],
        providers: [Squatter],
      });
      const failure = await failing.init().catch((error: unknown) => error);
      // The application never started: only its DataSource is open.
      await failing.get(DataSource).destroy();
      expect(String(failure)).toContain(EVENT_BUS_JOBS.cleanup);
      expect(cleared.mock.calls.some(([timer]) => timer !== squatter)).toBe(true);
    } finally {
      cleared.mockRestore();
      clearInterval(squatter);
    }
  });

  it("brings no ScheduleModule of its own that would run the application's jobs against its options", async () => {
    app = await bootTestApp({
      imports: [ScheduleModule.forRoot({ timeouts: false })],
      providers: [AppJobs],
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A second ScheduleModule (default options) would have explored AppJobs and run the timeout.
    expect(app.get(AppJobs).timeoutRan).toBe(false);
  });
});
