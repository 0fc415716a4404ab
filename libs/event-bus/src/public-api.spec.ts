import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..');
const ENTRY_POINTS = {
  '.': 'src/index.ts',
  './testing': 'testing/index.ts',
  './transport': 'src/transport.ts',
  './kafka': 'src/kafka.ts',
  './platformatic-kafka': 'src/platformatic-kafka.ts',
  './operations': 'src/operations.ts',
  './storage': 'src/storage.ts',
  './microservices': 'src/microservices.ts',
} as const;

/** The names an application writes code against; an addition here is an API decision. */
const MAIN_ENTRY = [
  'BackpressureError',
  'CloudEventsMode',
  'CodecOptions',
  'ConsumerOptions',
  'CustomTransportOptions',
  'DLQ_HEADERS',
  'EVENT_BUS_CONTEXT_TYPE',
  'EVENT_BUS_ENTITIES',
  'EVENT_BUS_MIGRATIONS',
  'EventBusConfigurationError',
  'EventBusError',
  'EventBusFeatureOptions',
  'EventBusHealthIndicator',
  'EventBusHealthResult',
  'EventBusInterceptor',
  'EventBusModule',
  'EventBusModuleOptions',
  'EventContext',
  'EventInterceptor',
  'EventInterceptorOptions',
  'EventPublisher',
  'EventSubscribe',
  'EventSubscribeOptions',
  'EventUpcaster',
  'FailureDecision',
  'FailurePolicies',
  'FailurePolicy',
  'HandlerFailure',
  'HandlerRefusedError',
  'HealthOptions',
  'InMemoryBroker',
  'InMemoryBrokerOptions',
  'InMemoryTransportOptions',
  'InboxOptions',
  'IntegrationEvent',
  'IntegrationEventOptions',
  'InvalidEventError',
  'InvalidEventReason',
  'JsonPayloadCodec',
  'KafkaSaslOptions',
  'KafkaTransportOptions',
  'LocalEventDispatcher',
  'MaintenanceOptions',
  'MetricsOptions',
  'MetricsRegistry',
  'OutboxOptions',
  'OutgoingEvent',
  'OverflowPolicy',
  'PlatformaticKafkaTransportOptions',
  'PostgresTransportOptions',
  'PartitionPause',
  'PayloadCodec',
  'PayloadCodecContext',
  'ProcessInvocation',
  'ProcessOutcome',
  'ProcessStatus',
  'PublishError',
  'PublishOptions',
  'PublishedEvent',
  'RetryOptions',
  'SendFailure',
  'SendingEvent',
  'SentEvent',
  'TopicOptions',
  'TraceLogOptions',
  'TracingOptions',
  'TransientFailureClassifier',
  'TransportError',
  'TransportOptions',
  'Upcaster',
  'isTransientFailure',
];

describe('public API', () => {
  const files = Object.values(ENTRY_POINTS).map((file) => join(ROOT, file));
  const program = ts.createProgram(files, {
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();

  const exportsOf = (file: string): ts.Symbol[] => {
    const source = program.getSourceFile(join(ROOT, file));
    if (!source) throw new Error(`${file} is not part of the program`);
    const module = checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${file} is not a module`);
    return checker.getExportsOfModule(module);
  };

  it('the main entry point exports what applications write code against, nothing internal', () => {
    const names = exportsOf(ENTRY_POINTS['.']).map((symbol) => symbol.getName());
    expect([...names].sort()).toEqual([...MAIN_ENTRY].sort());
  });

  it('no export shadows a global of Node (as @Event did Event)', () => {
    const globals = new Set(Object.getOwnPropertyNames(globalThis));
    const shadowing = Object.values(ENTRY_POINTS)
      .flatMap((file) => exportsOf(file).map((symbol) => symbol.getName()))
      .filter((name) => globals.has(name));
    expect(shadowing).toEqual([]);
  });

  it.each(Object.entries(ENTRY_POINTS))('every export of %s carries JSDoc', (_entry, file) => {
    const undocumented = exportsOf(file)
      .filter((symbol) => {
        const target =
          symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
      })
      .map((symbol) => symbol.getName());
    expect(undocumented).toEqual([]);
  });

  it('the package maps each entry point to its built file', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const manifest = require(join(ROOT, 'package.json')) as {
      exports: Record<string, { types: string; default: string } | string>;
    };
    for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
      const built = `./dist/${file.replace(/\.ts$/, '')}`;
      expect(manifest.exports[entry]).toEqual({ types: `${built}.d.ts`, default: `${built}.js` });
    }
  });
});

describe('docs/API.md', () => {
  it('is the reference the JSDoc renders today (node scripts/api-reference.js rewrites it)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const reference = require(join(ROOT, '..', '..', 'scripts', 'api-reference.js')) as {
      render(): string;
      OUTPUT: string;
    };
    expect(readFileSync(reference.OUTPUT, 'utf8')).toBe(reference.render());
  });
});
