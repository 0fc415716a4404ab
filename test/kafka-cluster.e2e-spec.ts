import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { createTestDatabase, eventually, TestDatabase } from './support/databases';
import { uniqueName } from './support/kafka';
import { KafkaCluster } from './support/kafka-cluster';
import { registerUsers, ServiceProcess, startServiceProcess } from './support/processes';

const TOTAL = 1000;
/** Registrations sent before the kill at most, so that most of the stream runs through it. */
const BEFORE_KILL_MAX = 400;
const DOWN_FOR_MS = 5000;

type Phase = 'before' | 'down' | 'after';
interface Sample {
  at: number;
  users: number;
  published: number;
  pending: number;
  profiles: number;
}

/**
 * Broker/leader loss: both services as processes on PostgreSQL and a private three-node KRaft
 * cluster (replication 3, min ISR 2). Mid-stream the broker leading most partitions of
 * user.registered is SIGKILLed and restarted with its data a few seconds later; every request
 * must still get its 201 and every event must be applied exactly once.
 */
describe('user-service and order-service on a three-node Kafka cluster, losing a leader', () => {
  const cluster = new KafkaCluster({ basePort: 19092, controllerPort: 19095, nodes: 3 });
  let userDb: TestDatabase | undefined;
  let orderDb: TestDatabase | undefined;
  let userSql: Client | undefined;
  let orderSql: Client | undefined;
  const running: ServiceProcess[] = [];
  let failed = false;

  beforeAll(async () => {
    const t0 = Date.now();
    await cluster.start();
    console.log(`three-node cluster started in ${Date.now() - t0} ms (${cluster.runDir})`);
    userDb = await createTestDatabase('postgres');
    orderDb = await createTestDatabase('postgres');
  }, 180000);

  afterAll(async () => {
    await Promise.all(running.map((p) => p.kill()));
    await userSql?.end().catch(() => undefined);
    await orderSql?.end().catch(() => undefined);
    try {
      // On failure keep the nodes' logs and data for a look.
      await cluster.stop(failed);
      if (failed) console.log(`kept the cluster's files in ${cluster.runDir}`);
    } finally {
      await userDb?.drop();
      await orderDb?.drop();
    }
  }, 120000);

  it('answers 201 throughout and applies 1,000 registrations exactly once', async () => {
    const prefix = `${uniqueName('cluster')}.`;
    const topic = `${prefix}user.registered`;
    const common = {
      KAFKA_BROKERS: cluster.brokers.join(','),
      EVENT_TOPIC_PREFIX: prefix,
      EVENT_TOPIC_REPLICATION_FACTOR: '3',
      PASSWORD_SCRYPT_COST: '1024',
    };
    const userService = await startServiceProcess('user-service', {
      ...common,
      DATABASE_URL: userDb!.url,
    });
    running.push(userService);
    const orderService = await startServiceProcess('order-service', {
      ...common,
      DATABASE_URL: orderDb!.url,
    });
    running.push(orderService);
    userSql = new Client({ connectionString: userDb!.url });
    orderSql = new Client({ connectionString: orderDb!.url });
    await userSql.connect();
    await orderSql.connect();
    const count = async (sql: Client, query: string): Promise<number> =>
      Number((await sql.query<{ n: string }>(query)).rows[0].n);

    // What the failover looked like, for the failure message and the log.
    const samples: Sample[] = [];
    const events: string[] = [];
    const t0 = Date.now();
    const note = (what: string): void => {
      events.push(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${what}`);
    };
    /** Outbox rows marked published that the topic does not hold: lost between relay and broker. */
    const lostOnTheWay = async (): Promise<string> => {
      try {
        const onTopic = await cluster.headerValues(topic, 'ce_id');
        const { rows } = await userSql!.query<{ id: string; key: string; published_at: Date }>(
          "SELECT id, key, attempts, published_at FROM event_outbox WHERE status = 'published' ORDER BY id",
        );
        const lost = rows.filter((r) => !onTopic.has(r.id));
        return `${onTopic.size} distinct events on ${topic}, ${rows.length} outbox rows published, ${lost.length} published but not on the topic: ${JSON.stringify(lost.slice(0, 10))}`;
      } catch (error) {
        return `(could not compare the outbox with the topic: ${(error as Error).message})`;
      }
    };
    const context = async (): Promise<string> =>
      [
        `timeline:\n  ${events.join('\n  ')}`,
        await lostOnTheWay(),
        `last samples: ${JSON.stringify(samples.slice(-3))}`,
        `cluster status:\n${await cluster.status()}`,
        `---- user-service log (${userService.logFile}) ----\n${userService.logTail(40)}`,
        `---- order-service log (${orderService.logFile}) ----\n${orderService.logTail(40)}`,
        cluster.logTails(10),
      ].join('\n');

    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          // One query at a time: a pg Client runs its queries one by one anyway.
          const users = await count(userSql!, 'SELECT COUNT(*) AS n FROM users');
          const published = await count(
            userSql!,
            "SELECT COUNT(*) AS n FROM event_outbox WHERE status = 'published'",
          );
          const pending = await count(
            userSql!,
            "SELECT COUNT(*) AS n FROM event_outbox WHERE status = 'pending'",
          );
          const profiles = await count(orderSql!, 'SELECT COUNT(*) AS n FROM user_profiles');
          samples.push({ at: Date.now(), users, published, pending, profiles });
        } catch (error) {
          note(`sampling failed: ${(error as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const last = (): Sample =>
        samples[samples.length - 1] ?? {
          at: 0,
          users: 0,
          published: 0,
          pending: 0,
          profiles: 0,
        };

      // The load: full speed before the kill (at most BEFORE_KILL_MAX), paced while the node is
      // down so that requests keep arriving through the whole outage, full speed after.
      const state: { phase: Phase } = { phase: 'before' };
      let killed!: () => void;
      const killedSignal = new Promise<void>((r) => (killed = r));
      const results: Array<{ status: number | 'unreachable'; id?: string; phase: Phase }> = [];
      const load = (async () => {
        let sent = 0;
        while (sent < TOTAL) {
          if (state.phase === 'before' && sent >= BEFORE_KILL_MAX) await killedSignal;
          const size = Math.min(state.phase === 'down' ? 20 : 25, TOTAL - sent);
          const batch = await registerUsers(userService.url, size, {
            prefix: `u${sent}`,
            concurrency: 8,
          });
          sent += size;
          const at: Phase = state.phase;
          results.push(...batch.map((r) => ({ ...r, phase: at })));
          if (state.phase === 'down') await new Promise((r) => setTimeout(r, 500));
        }
        note(`load done: ${results.length} responses`);
      })();

      // The topic exists once user-service started: replication 3, min ISR 2.
      const before = await cluster.partitions(topic);
      expect(before).toHaveLength(3);
      for (const p of before) {
        expect(p.replicas).toHaveLength(3);
        expect(p.isr).toHaveLength(3);
      }
      expect(await cluster.topicConfig(topic, 'min.insync.replicas')).toBe('2');

      // Mid-stream: kill the broker leading most partitions of the topic.
      await eventually(() => last().profiles >= 100, '100 profiles before the kill', 60000);
      const partitions = await cluster.partitions(topic);
      const led = new Map<number, number>();
      for (const p of partitions) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      const [victim, ledCount] = [...led].sort((a, b) => b[1] - a[1])[0];
      const controller = (await (await cluster.admin()).describeCluster()).controller;
      note(
        `killing node ${victim} (leads ${ledCount}/${partitions.length} partitions; ` +
          `active controller ${controller}); ${JSON.stringify(last())}`,
      );
      const killedAt = Date.now();
      await cluster.kill(victim);
      state.phase = 'down';
      killed();
      await new Promise((r) => setTimeout(r, DOWN_FOR_MS));
      note(`restarting node ${victim}; ${JSON.stringify(last())}`);
      const restartStart = Date.now();
      await cluster.startNode(victim);
      state.phase = 'after';
      note(`node ${victim} back after ${Date.now() - restartStart} ms; ${JSON.stringify(last())}`);

      await load;
      await eventually(() => last().profiles >= TOTAL, `${TOTAL} profiles`, 120000);
      note(`all ${TOTAL} profiles; ${JSON.stringify(last())}`);
      // The restarted node catches up and rejoins every ISR.
      await eventually(
        async () => (await cluster.partitions(topic)).every((p) => p.isr.length === 3),
        `node ${victim} back in the ISR of every partition of ${topic}`,
        60000,
      );
      note('all ISRs back to 3');
      sampling = false;
      await sampler;

      // Every request answered 201, including those while a broker was down.
      const notCreated = results.filter((r) => r.status !== 201);
      expect({ responses: results.length, notCreated }).toEqual({
        responses: TOTAL,
        notCreated: [],
      });
      const byPhase = (p: Phase): number => results.filter((r) => r.phase === p).length;
      note(
        `responses before/down/after: ${byPhase('before')}/${byPhase('down')}/${byPhase('after')}`,
      );
      expect(byPhase('down')).toBeGreaterThan(0);
      expect(byPhase('after')).toBeGreaterThan(0);

      // Exactly once: one user, one outbox row, one inbox row and one profile per registration.
      expect(await count(userSql, 'SELECT COUNT(*) AS n FROM users')).toBe(TOTAL);
      expect(
        await count(userSql, "SELECT COUNT(*) AS n FROM event_outbox WHERE status = 'published'"),
      ).toBe(TOTAL);
      expect(await count(orderSql, 'SELECT COUNT(*) AS n FROM user_profiles')).toBe(TOTAL);
      expect(await count(orderSql, 'SELECT COUNT(*) AS n FROM event_inbox')).toBe(TOTAL);
      expect(await count(orderSql, 'SELECT COUNT(DISTINCT event_id) AS n FROM event_inbox')).toBe(
        TOTAL,
      );
      const profileIds = new Set(
        (await orderSql.query<{ user_id: string }>('SELECT user_id FROM user_profiles')).rows.map(
          (r) => r.user_id,
        ),
      );
      const missing = results.filter((r) => !r.id || !profileIds.has(r.id));
      expect(missing).toEqual([]);
      expect(await cluster.recordCount(`${topic}.dlq`)).toBe(0);

      // For the record (not asserted): stalls, retries and duplicates on the wire.
      const onWire = await cluster.recordCount(topic);
      const retried = await count(
        userSql,
        'SELECT COUNT(*) AS n FROM event_outbox WHERE attempts > 0',
      );
      const stall = (progress: (s: Sample) => number, backlog: (s: Sample) => boolean): number => {
        let longest = 0;
        let since: number | undefined;
        for (let i = 1; i < samples.length; i++) {
          if (samples[i].at < killedAt) continue;
          const moved = progress(samples[i]) !== progress(samples[i - 1]);
          if (moved || !backlog(samples[i - 1])) since = undefined;
          else {
            since ??= samples[i - 1].at;
            longest = Math.max(longest, samples[i].at - since);
          }
        }
        return longest;
      };
      const relayStall = stall(
        (s) => s.published,
        (s) => s.pending > 0,
      );
      const consumerStall = stall(
        (s) => s.profiles,
        (s) => s.published > s.profiles,
      );
      const problems = (file: string): string[] =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => /\b(ERROR|WARN)\b/.test(l))
          .map((l) => l.slice(0, 300));
      const userProblems = problems(userService.logFile);
      const orderProblems = problems(orderService.logFile);
      console.log(
        [
          ...events,
          `records on ${topic}: ${onWire} for ${TOTAL} events; outbox rows with a failed send attempt: ${retried}`,
          `longest relay stall after the kill: ${relayStall} ms; longest consumer stall: ${consumerStall} ms`,
          `user-service WARN/ERROR lines: ${userProblems.length}`,
          ...userProblems.slice(0, 12),
          `order-service WARN/ERROR lines: ${orderProblems.length}`,
          ...orderProblems.slice(0, 12),
        ].join('\n'),
      );
    } catch (error) {
      failed = true;
      throw new Error(`${(error as Error).message}\n\n${await context()}`, { cause: error });
    } finally {
      sampling = false;
      await sampler;
    }
  }, 240000);
});
