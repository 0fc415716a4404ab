import { QueryFailedError } from 'typeorm';
import { KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import {
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { classifyTransient, isTransientFailure } from './transient-failure';
import { InvalidEventError } from './invalid-event.error';
import { TransportError } from './transport.error';

const withCode = (code: string, message = 'failed'): Error =>
  Object.assign(new Error(message), { code });

describe('isTransientFailure', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'])(
    'treats the socket error %s as an outage',
    (code) => expect(isTransientFailure(withCode(code))).toBe(true),
  );

  it.each(['08006', '08001', '53300', '53100', '57P01', '57P02', '57P03', '40001', '40P01'])(
    'treats SQLSTATE %s as an outage',
    (code) => expect(isTransientFailure(withCode(code))).toBe(true),
  );

  it.each(['23505', '23503', '42P01', '22P02', '57014'])(
    'leaves SQLSTATE %s to the handler failure path',
    (code) => expect(isTransientFailure(withCode(code))).toBe(false),
  );

  it('looks inside a TypeORM QueryFailedError at the driver error', () => {
    const error = new QueryFailedError('INSERT …', [], withCode('57P01', 'terminating connection'));
    expect(isTransientFailure(error)).toBe(true);
  });

  it('follows the cause chain and AggregateError members', () => {
    const nested = new Error('outer', {
      cause: new Error('mid', { cause: withCode('ECONNRESET') }),
    });
    expect(isTransientFailure(nested)).toBe(true);
    expect(isTransientFailure(new AggregateError([new Error('x'), withCode('ECONNREFUSED')]))).toBe(
      true,
    );
  });

  it.each([
    'timeout exceeded when trying to connect',
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Query read timeout',
    'Client has encountered a connection error and is not queryable',
  ])('recognises the pg driver message "%s"', (message) =>
    expect(isTransientFailure(new Error(message))).toBe(true),
  );

  it('treats kafkajs connection errors and retriable transport errors as outages', () => {
    expect(isTransientFailure(new KafkaJSConnectionError('Connection error'))).toBe(true);
    expect(isTransientFailure(new TransportError('broker down'))).toBe(true);
    expect(isTransientFailure(new TransportError('too large', { retriable: false }))).toBe(false);
    expect(isTransientFailure(new KafkaJSProtocolError('MESSAGE_TOO_LARGE'))).toBe(false);
  });

  it('treats @platformatic/kafka connection errors and a moving leader or coordinator as outages', () => {
    expect(isTransientFailure(new NetworkError('Connection to 127.0.0.1:9092 failed.'))).toBe(true);
    expect(isTransientFailure(new TimeoutError('Request timed out.'))).toBe(true);
    expect(isTransientFailure(new ProtocolError('NOT_COORDINATOR'))).toBe(true);
    expect(isTransientFailure(new ProtocolError('LEADER_NOT_AVAILABLE'))).toBe(true);
    expect(
      isTransientFailure(
        new MultipleErrors('Producing messages failed.', [new NetworkError('Connection closed')]),
      ),
    ).toBe(true);
    expect(isTransientFailure(new ProtocolError('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isTransientFailure(new UserError('/options/brokers must be an array'))).toBe(false);
  });

  it('leaves ordinary handler errors and odd values alone', () => {
    expect(isTransientFailure(new Error('profile rejected'))).toBe(false);
    expect(
      isTransientFailure(new TypeError("Cannot read properties of undefined (reading 'x')")),
    ).toBe(false);
    expect(isTransientFailure(undefined)).toBe(false);
    expect(isTransientFailure('ECONNREFUSED')).toBe(false);
  });

  it('stops on a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isTransientFailure(a)).toBe(false);
  });
});

describe('classifyTransient', () => {
  it('gives the user classifier the first say and falls back to the default on undefined', () => {
    const custom = (error: unknown) =>
      error instanceof Error && error.message === 'payments down' ? true : undefined;
    expect(classifyTransient(new Error('payments down'), custom)).toBe(true);
    expect(classifyTransient(withCode('ECONNREFUSED'), custom)).toBe(true);
    expect(classifyTransient(withCode('ECONNREFUSED'), () => false)).toBe(false);
  });

  it('never makes bad input wait, whatever its cause says', () => {
    const poison = new InvalidEventError('validation_failed', 'bad', withCode('ECONNREFUSED'));
    expect(classifyTransient(poison, undefined)).toBe(false);
  });
});
