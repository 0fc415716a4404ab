import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { hasProtocolError, isRetriable } from './platformatic-kafka-errors';

describe('isRetriable (@platformatic/kafka)', () => {
  it('retries an unreachable or slow broker and a leader election', () => {
    expect(isRetriable(new NetworkError('Connection closed'))).toBe(true);
    expect(isRetriable(new TimeoutError('Request timed out.'))).toBe(true);
    expect(isRetriable(new ProtocolError('NOT_LEADER_OR_FOLLOWER'))).toBe(true);
    expect(isRetriable(new Error('something else'))).toBe(true);
  });

  it('does not retry a record the broker refuses, bad input or failed authentication', () => {
    expect(isRetriable(new ProtocolError('MESSAGE_TOO_LARGE'))).toBe(false);
    expect(isRetriable(new UserError('/options/messages/0/topic must be string'))).toBe(false);
    expect(isRetriable(new AuthenticationError('SASL authentication failed'))).toBe(false);
  });

  it('retries a multiple error only when each of its errors is retriable', () => {
    const network = new NetworkError('Connection closed');
    const refused = new ProtocolError('RECORD_LIST_TOO_LARGE');
    expect(isRetriable(new MultipleErrors('Producing messages failed.', [network]))).toBe(true);
    expect(isRetriable(new MultipleErrors('Producing messages failed.', [network, refused]))).toBe(
      false,
    );
  });

  it("finds a broker error by its name inside a multiple error, and nothing in others'", () => {
    const exists = new MultipleErrors('Creating topics failed.', [
      new ProtocolError('TOPIC_ALREADY_EXISTS'),
    ]);
    expect(hasProtocolError(exists, 'TOPIC_ALREADY_EXISTS')).toBe(true);
    expect(hasProtocolError(new NetworkError('Connection closed'), 'TOPIC_ALREADY_EXISTS')).toBe(
      false,
    );
    expect(hasProtocolError(new Error('plain'), 'TOPIC_ALREADY_EXISTS')).toBe(false);
  });
});
