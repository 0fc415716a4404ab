import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { load } from 'js-yaml';
import { ASYNCAPI_FILE, generateAsyncApi } from './asyncapi-document';

interface Ref {
  $ref: string;
}
interface Schema {
  properties?: Record<string, unknown>;
  required?: string[];
}
interface Operation {
  action: 'send' | 'receive';
  channel: Ref;
  messages: Ref[];
  bindings?: { kafka?: { groupId?: { enum?: string[] } } };
}
interface AsyncApi {
  channels: Record<string, { address: string; messages: Record<string, Ref> }>;
  operations: Record<string, Operation>;
  components: {
    messages: Record<string, { payload: Ref; headers: Schema }>;
    schemas: Record<string, Schema>;
  };
}

const COMMITTED = join(__dirname, '..', '..', '..', ASYNCAPI_FILE);

describe('the AsyncAPI catalogue (npm run asyncapi)', () => {
  let text: string;
  let doc: AsyncApi;

  beforeAll(async () => {
    text = await generateAsyncApi();
    doc = load(text) as AsyncApi;
  });

  /** What a `#/…` reference points at in the generated document. */
  const resolve = <T>(ref: Ref): T =>
    ref.$ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], doc) as T;
  const payloadOf = (messageId: string): Schema =>
    resolve<Schema>(doc.components.messages[messageId].payload);
  const operationsOf = (service: string, action: Operation['action'], channel: string) =>
    Object.entries(doc.operations).filter(
      ([id, op]) =>
        id.startsWith(`${service}.`) &&
        op.action === action &&
        op.channel.$ref === `#/channels/${channel}`,
    );
  const messageIds = (op: Operation) => op.messages.map((m) => m.$ref.split('/').pop());

  it('is a valid AsyncAPI document (@asyncapi/parser reports no errors)', async () => {
    const { diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
  });

  it('is the committed docs/asyncapi.yaml (CI fails when it is stale)', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    if (committed !== text) {
      throw new Error(
        `${ASYNCAPI_FILE} is stale: it differs from what the code gives. ` +
          'Run `npm run asyncapi` and commit the result.',
      );
    }
  });

  it('gives the same bytes on every run', async () => {
    expect(await generateAsyncApi()).toBe(text);
  });

  it('has a channel per topic and its dead-letter channel', () => {
    expect(doc.channels['user.registered'].address).toBe('user.registered');
    expect(doc.channels['user.registered.dlq'].address).toBe('user.registered.dlq');
    expect(Object.keys(doc.channels['user.registered'].messages)).toEqual([
      'user.registered.v1',
      'user.registered.v2',
    ]);
  });

  it('describes each version with the payload schema of its class', () => {
    const v1 = payloadOf('user.registered.v1');
    const v2 = payloadOf('user.registered.v2');
    expect(v2.required).toEqual(expect.arrayContaining(['displayName', 'userId', 'email']));
    expect(v1.required).toEqual(expect.arrayContaining(['userId', 'email']));
    expect(v1.required).not.toContain('displayName');
    expect(v1.properties).not.toHaveProperty('displayName');
    expect(doc.components.messages['user.registered.v2'].headers.properties).toMatchObject({
      ce_type: { const: 'user.registered' },
      ce_dataversion: { const: '2' },
      ce_specversion: { const: '1.0' },
    });
  });

  it('reads from user-service that it sends user.registered v2', () => {
    const sends = operationsOf('user-service', 'send', 'user.registered');
    expect(sends.map(([, op]) => messageIds(op))).toEqual([['user.registered.v2']]);
    expect(operationsOf('user-service', 'receive', 'user.registered')).toEqual([]);
  });

  it('reads from order-service that it receives v1 and v2 in group order-service', () => {
    const receives = operationsOf('order-service', 'receive', 'user.registered');
    expect(receives).toHaveLength(1);
    const [[id, op]] = receives;
    expect(id).toBe('order-service.receive.ProfileProjector.onUserRegistered');
    expect(messageIds(op)).toEqual(['user.registered.v1', 'user.registered.v2']);
    expect(op.bindings?.kafka?.groupId?.enum).toEqual(['order-service']);
    expect(operationsOf('order-service', 'send', 'user.registered')).toEqual([]);
    expect(operationsOf('order-service', 'send', 'user.registered.dlq')).toHaveLength(1);
  });
});
