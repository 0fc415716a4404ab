'use strict';
// Readiness probe used by scripts/kafka.sh: succeeds once kafkajs can describe the cluster.
// Usage: node scripts/kafka-ready.js [host:port[,host:port...]] [timeoutMs] [minBrokers]
// With minBrokers (default 1), waits until that many brokers are registered (a cluster).
const { setTimeout: delay } = require('node:timers/promises');
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2] || '127.0.0.1:9092';
const timeoutMs = Number(process.argv[3] || 30000);
const minBrokers = Number(process.argv[4] || 1);

async function main() {
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({
    clientId: 'event-bus-kafka-ready',
    brokers: broker.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 0 },
  });
  let lastError;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length >= minBrokers && cluster.controller !== null) {
        await admin.disconnect();
        return cluster;
      }
      lastError = new Error(`cluster not ready yet: ${JSON.stringify(cluster)}`);
    } catch (error) {
      lastError = error;
    }
    await admin.disconnect().catch(() => {});
    await delay(500);
  }
  throw lastError || new Error('timed out');
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(
      `kafka-ready: ${broker} not ready: ${error && error.message ? error.message : error}`,
    );
    process.exit(1);
  },
);
