'use strict';
/*
 * A minimal application on the BUILT @nestbus/event-bus (resolved through its package.json, so
 * libs/event-bus/dist): SQLite through better-sqlite3 and @nestjs/typeorm, the in-memory
 * transport, metrics and tracing not asked for. optional-peers.e2e-spec.ts runs it in a child
 * process under hide-packages.js. Plain JavaScript, so nothing compiles it on the way.
 *
 * argv[2], the scenario:
 *   load      require the entry points only; report which optional peers that loaded
 *   flow      publish one event in a transaction and wait for its @EventSubscribe handler; then
 *             try a publish without a transaction and the health indicator
 *   kafka, platformatic-kafka, metrics, tracing
 *             start with an option that needs that package; report the startup error
 * Prints one line: RESULT <json>.
 */
const { setTimeout: sleep } = require('node:timers/promises');

const OPTIONAL_PEERS = require('./optional-peers.js');

/** Optional peers with a module in the require cache: loaded by someone in this process. */
function loadedPeers() {
  const files = Object.keys(require.cache);
  return OPTIONAL_PEERS.filter((name) => files.some((f) => f.includes(`/node_modules/${name}/`)));
}

/** `exclude`: peers some other package loaded before ours ran (see the load scenario). */
function report(result, exclude = []) {
  const attempts = (globalThis.hiddenPackageAttempts || []).map((a) => a.request);
  const loaded = loadedPeers().filter((name) => !exclude.includes(name));
  process.stdout.write(`RESULT ${JSON.stringify({ ...result, loadedPeers: loaded, attempts })}\n`);
}

function errorOf(error) {
  return {
    name: error && error.name,
    message: error instanceof Error ? error.message : String(error),
  };
}

const SCENARIO_OPTIONS = {
  flow: {},
  kafka: { transport: { type: 'kafka', brokers: ['127.0.0.1:9'] } },
  'platformatic-kafka': { transport: { type: 'platformatic-kafka', brokers: ['127.0.0.1:9'] } },
  metrics: { metrics: { enabled: true } },
  tracing: { tracing: { enabled: true } },
};

async function main(scenario) {
  if (scenario === 'load') {
    // @nestjs/core itself loads @nestjs/microservices when it is installed: what Nest loads on
    // its own is reported apart, and only what the entry points add counts against them.
    require('@nestjs/common');
    require('@nestjs/core');
    const loadedByNest = loadedPeers();
    require('@nestbus/event-bus');
    require('@nestbus/event-bus/transport');
    require('@nestbus/event-bus/operations');
    require('@nestbus/event-bus/storage');
    return report({ loadedByNest }, loadedByNest);
  }
  if (!(scenario in SCENARIO_OPTIONS)) throw new Error(`Unknown scenario ${scenario}`);

  const { Injectable, Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { TypeOrmModule } = require('@nestjs/typeorm');
  const { DataSource } = require('typeorm');
  const bus = require('@nestbus/event-bus');

  class ItemCreated {
    constructor(id) {
      this.id = id;
    }
  }
  bus.IntegrationEvent({ type: 'peers.item-created' })(ItemCreated);

  class ItemListener {
    constructor() {
      this.handled = [];
    }
    onItemCreated(event) {
      this.handled.push(event.id);
    }
  }
  const method = Object.getOwnPropertyDescriptor(ItemListener.prototype, 'onItemCreated');
  bus.EventSubscribe(ItemCreated)(ItemListener.prototype, 'onItemCreated', method);
  Injectable()(ItemListener);

  class AppModule {}
  Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: bus.EVENT_BUS_ENTITIES,
        synchronize: true,
      }),
      bus.EventBusModule.forRoot({ serviceId: 'peers', ...SCENARIO_OPTIONS[scenario] }),
      bus.EventBusModule.forFeature({ events: [ItemCreated] }),
    ],
    providers: [ItemListener],
  })(AppModule);

  let app;
  try {
    // abortOnError false: a startup error is thrown to us instead of exiting the process.
    app = await NestFactory.createApplicationContext(AppModule, {
      abortOnError: false,
      logger: ['error', 'warn', 'log', 'debug'],
    });
  } catch (error) {
    return report({ started: false, error: errorOf(error) });
  }

  try {
    const publisher = app.get(bus.EventPublisher);
    const [published] = await app
      .get(DataSource)
      .transaction((manager) => publisher.publish(new ItemCreated('item-1'), { manager }));
    const listener = app.get(ItemListener);
    for (let i = 0; i < 500 && !listener.handled.includes('item-1'); i++) {
      await sleep(10);
    }
    const withoutTransaction = await publisher
      .publish(new ItemCreated('item-2'))
      .then(() => undefined, errorOf);
    const health = await app
      .get(bus.EventBusHealthIndicator)
      .isHealthy('eventBus')
      .then(
        (result) => ({ result }),
        (error) => ({ error: errorOf(error) }),
      );
    report({
      started: true,
      published: published.type,
      handled: listener.handled,
      withoutTransaction,
      health,
    });
  } finally {
    await app.close();
  }
}

main(process.argv[2]).catch((error) => {
  process.stdout.write(`RESULT ${JSON.stringify({ crashed: errorOf(error) })}\n`);
  process.exitCode = 1;
});
