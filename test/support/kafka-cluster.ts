import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'kafka.sh');

export interface ClusterOptions {
  /** Client ports basePort, basePort+1, …; controller ports controllerPort, +1, …. */
  basePort: number;
  controllerPort: number;
  nodes?: number;
}

/**
 * A private KRaft cluster run through `scripts/kafka.sh` (KAFKA_NODES), in its own run folder
 * under the OS temp dir and on its own ports, so the shared broker on 9092 is never touched.
 */
export class KafkaCluster {
  readonly nodes: number;
  readonly runDir: string;
  readonly brokers: string[];
  private readonly kafka: Kafka;
  private adminClient?: Admin;

  constructor(private readonly options: ClusterOptions) {
    this.nodes = options.nodes ?? 3;
    this.runDir = mkdtempSync(join(tmpdir(), 'event-bus-kafka-cluster-'));
    this.brokers = Array.from(
      { length: this.nodes },
      (_, i) => `127.0.0.1:${options.basePort + i}`,
    );
    this.kafka = new Kafka({
      clientId: 'event-bus-cluster-tests',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10000,
    });
  }

  /** Node id (1-based) of the broker listening on `port`. */
  nodeOfPort(port: number): number {
    return port - this.options.basePort + 1;
  }

  /** Starts every node with fresh storage and waits until all are registered brokers. */
  async start(): Promise<string> {
    return this.script(['start'], {}, 'start the cluster');
  }

  /** Starts node `node` alone, keeping its data (a restart after a crash). */
  async startNode(node: number): Promise<string> {
    return this.script(['start'], { KAFKA_NODE: String(node) }, `restart node ${node}`);
  }

  /** Stops every node (TERM, then KILL) and removes the run folder unless `keepFiles`. */
  async stop(keepFiles = false): Promise<void> {
    await this.adminClient?.disconnect().catch(() => undefined);
    this.adminClient = undefined;
    try {
      await this.script(['stop'], {}, 'stop the cluster');
    } finally {
      if (!keepFiles) rmSync(this.runDir, { recursive: true, force: true });
    }
  }

  async pid(node: number): Promise<number> {
    const out = await this.script(['pid'], { KAFKA_NODE: String(node) }, `read node ${node}'s pid`);
    const pid = Number(out.trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`node ${node}: bad pid "${out}"`);
    return pid;
  }

  /** SIGKILL: no controlled shutdown, no flush; the node's data stays for a restart. */
  async kill(node: number): Promise<void> {
    const pid = await this.pid(node);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`node ${node} (pid ${pid}) survived SIGKILL`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async status(): Promise<string> {
    try {
      return (await run('bash', [SCRIPT, 'status'], { env: this.env({}) })).stdout.trim();
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error).trim();
    }
  }

  /** The last lines of every node's server.log (for failure messages). */
  logTails(lines = 15): string {
    return Array.from({ length: this.nodes }, (_, i) => {
      const file = join(this.runDir, `node-${i + 1}`, 'server.log');
      const text = existsSync(file)
        ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
        : '(no log)';
      return `---- node ${i + 1}: ${file} ----\n${text}`;
    }).join('\n');
  }

  async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  /** Partition → leader/replicas/ISR of `topic`. */
  async partitions(
    topic: string,
  ): Promise<Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>> {
    const admin = await this.admin();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.map((p) => ({
      partition: p.partitionId,
      leader: p.leader,
      replicas: p.replicas,
      isr: p.isr,
    }));
  }

  /** One topic config value as the broker reports it (topic override or broker default). */
  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    const admin = await this.admin();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
    });
    return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  }

  /** Records on `topic` (high minus low watermark over its partitions); 0 when it does not exist. */
  async recordCount(topic: string): Promise<number> {
    const admin = await this.admin();
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
  }

  /** The values of header `name` over every record of `topic` (evidence for failure messages). */
  async headerValues(topic: string, name: string, timeoutMs = 15000): Promise<Set<string>> {
    const expected = await this.recordCount(topic);
    const values = new Set<string>();
    const consumer = this.kafka.consumer({
      groupId: `evidence-${Date.now()}`,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      let seen = 0;
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen++;
          const value = message.headers?.[name];
          if (value !== undefined) values.add(String(value));
        },
      });
      const deadline = Date.now() + timeoutMs;
      while (seen < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return values;
    } finally {
      await consumer.disconnect();
    }
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      ...process.env,
      KAFKA_NODES: String(this.nodes),
      KAFKA_PORT: String(this.options.basePort),
      KAFKA_CONTROLLER_PORT: String(this.options.controllerPort),
      KAFKA_RUN_DIR: this.runDir,
      KAFKA_NODE: '',
      KAFKA_KEEP_DATA: '',
      ...extra,
    };
  }

  private async script(
    args: string[],
    extra: Record<string, string>,
    what: string,
  ): Promise<string> {
    try {
      const { stdout } = await run('bash', [SCRIPT, ...args], {
        env: this.env(extra),
        timeout: 180000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `scripts/kafka.sh could not ${what} (KAFKA_NODES=${this.nodes} KAFKA_PORT=${this.options.basePort} ` +
          `KAFKA_CONTROLLER_PORT=${this.options.controllerPort} KAFKA_RUN_DIR=${this.runDir}${
            extra.KAFKA_NODE ? ` KAFKA_NODE=${extra.KAFKA_NODE}` : ''
          }): ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n` +
          'It needs Java 17+ and the Kafka jars (fetched by Maven on first use, cached in ' +
          '~/.cache/event-bus-kafka); try the same command by hand to see why.',
      );
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed child of ours lingers as a zombie until reaped; the script's nodes are not ours.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
