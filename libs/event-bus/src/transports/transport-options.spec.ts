import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { OptionChecker } from '../util/option-checker';
import { checkOptionKeys } from '../util/option-keys';
import { checkTransportOptions, TRANSPORT_OPTION_KEYS } from './transport-options';

const BROKERS = ['127.0.0.1:9092'];

function rejection(value: unknown): string {
  try {
    checkTransportOptions(new OptionChecker(), value);
  } catch (error) {
    expect(error).toBeInstanceOf(EventBusConfigurationError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('transport: { type: "platformatic-kafka" }', () => {
  it('takes the Kafka options', () => {
    const options = {
      type: 'platformatic-kafka',
      brokers: BROKERS,
      clientId: 'svc',
      compression: 'gzip',
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      sessionTimeoutMs: 45000,
    };
    expect(checkTransportOptions(new OptionChecker(), options)).toBe(options);
    const keys = { transport: TRANSPORT_OPTION_KEYS };
    expect(checkOptionKeys({ transport: options }, { kind: 'section', keys }).unknown).toEqual([]);
  });

  it.each([
    [{ brokers: [] }, 'transport.brokers'],
    [{ brokers: ['no-port'] }, 'transport.brokers[0]'],
    [{ brokers: BROKERS, compression: 'zstd' }, 'transport.compression'],
    [{ brokers: BROKERS, sasl: { mechanism: 'kerberos' } }, 'transport.sasl.mechanism'],
    [{ brokers: BROKERS, sessionTimeoutMs: 10 }, 'transport.sessionTimeoutMs'],
  ])('fails on %j naming %s, as for kafkajs', (options, path) => {
    expect(rejection({ type: 'platformatic-kafka', ...options })).toContain(`"${path}"`);
    expect(rejection({ type: 'kafka', ...options })).toContain(`"${path}"`);
  });

  it('names it among the transport types', () => {
    expect(rejection({ type: 'platformatic' })).toContain('"platformatic-kafka"');
  });

  it('knows an unknown key of it', () => {
    const keys = { transport: TRANSPORT_OPTION_KEYS };
    const { unknown } = checkOptionKeys(
      { transport: { type: 'platformatic-kafka', brokers: BROKERS, acks: 1 } },
      { kind: 'section', keys },
    );
    expect(unknown.map((k) => k.path)).toEqual(['transport.acks']);
  });
});
