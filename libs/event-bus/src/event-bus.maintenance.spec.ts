import type { TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { bootTestApp, outboxRow, waitUntil } from './__fixtures__/event-bus-test-app';
import { OutboxMessage } from './outbox/outbox-message.entity';

describe('EventBusMaintenance', () => {
  let app: TestingModule;
  afterEach(() => app?.close());

  const boot = async (retryFailedEveryMs: number) => {
    // The relay stays off, so a retried row stays pending where the spec can see it.
    app = await bootTestApp({ bus: { outbox: { enabled: false, retryFailedEveryMs } } });
    const rows = app.get(DataSource).getRepository(OutboxMessage);
    await rows.insert(
      outboxRow('0192a3b4-0000-7000-8000-00000000000f', { status: 'failed', attempts: 10 }),
    );
    return rows;
  };

  it('puts failed rows back in line every outbox.retryFailedEveryMs', async () => {
    const rows = await boot(1000);
    await waitUntil(
      async () => (await rows.findOneByOrFail({})).status === 'pending',
      'the failed row to be retried',
    );
    expect((await rows.findOneByOrFail({})).attempts).toBe(0);
  });

  it('leaves failed rows alone by default', async () => {
    const rows = await boot(0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await rows.findOneByOrFail({})).status).toBe('failed');
  });
});
