import 'reflect-metadata';
import { IntegrationEvent } from '../decorators/integration-event.decorator';
import { EventBusConfigurationError } from '../errors/event-bus-configuration.error';
import { EVENT_METADATA } from '../event-bus.constants';
import { resolveEventBusOptions } from '../options/resolve-event-bus-options';
import type { EventBusModuleOptions } from '../interfaces/event-bus-options.interface';
import { EventTypeRegistry } from './event-type.registry';

function registry(options: Partial<EventBusModuleOptions> = {}): EventTypeRegistry {
  return new EventTypeRegistry(resolveEventBusOptions({ serviceId: 'svc', ...options }));
}

/** A class carrying raw `@IntegrationEvent` metadata, bypassing the decorator's defaults. */
function withMetadata(name: string, metadata: Record<string, unknown>): new () => object {
  const target = { [name]: class {} }[name];
  Reflect.defineMetadata(EVENT_METADATA, metadata, target);
  return target;
}

function configurationError(action: () => unknown): EventBusConfigurationError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(EventBusConfigurationError);
    return error as EventBusConfigurationError;
  }
  throw new Error('expected an EventBusConfigurationError');
}

@IntegrationEvent({ type: 'user.registered', version: 1, key: (e: UserRegisteredV1) => e.userId })
class UserRegisteredV1 {
  userId!: string;
}

@IntegrationEvent({ type: 'user.registered', version: 2 })
class UserRegisteredV2 {
  userId!: string;
}

@IntegrationEvent({ type: 'user.registered', version: 1 })
class UserRegisteredImpostor {}

@IntegrationEvent({ type: 'order.placed' })
class OrderPlaced {}

class NotAnEvent {}

describe('EventTypeRegistry', () => {
  it('registers an @IntegrationEvent class with its type, version, key and topic', () => {
    const types = registry();

    const definition = types.register(UserRegisteredV1);

    expect(definition).toMatchObject({
      type: 'user.registered',
      version: 1,
      target: UserRegisteredV1,
      topic: 'user.registered',
    });
    expect(definition.key?.(Object.assign(new UserRegisteredV1(), { userId: 'u-1' }))).toBe('u-1');
    expect(types.has('user.registered')).toBe(true);
    expect(types.forClass(UserRegisteredV1)).toBe(definition);
    expect(types.all()).toEqual([definition]);
  });

  it('defaults the version to 1', () => {
    expect(registry().register(OrderPlaced).version).toBe(1);
  });

  it('fails with a clear message when two classes claim one type and version', () => {
    const types = registry();
    types.register(UserRegisteredV1);

    const error = configurationError(() => types.register(UserRegisteredImpostor));

    expect(error.message).toBe(
      'Event type "user.registered" version 1 is claimed by both UserRegisteredV1 and UserRegisteredImpostor; each type and version must belong to one class.',
    );
    expect(types.forClass(UserRegisteredV1).target).toBe(UserRegisteredV1);
    expect(types.all()).toHaveLength(1);
  });

  it('accepts the same class twice and returns the same definition', () => {
    const types = registry();

    const first = types.register(UserRegisteredV1);
    const second = types.register(UserRegisteredV1);

    expect(second).toBe(first);
    expect(types.all()).toHaveLength(1);
  });

  it('keeps several versions of one type and knows the latest', () => {
    const types = registry();
    types.register(UserRegisteredV2);
    types.register(UserRegisteredV1);

    expect(types.latest('user.registered')?.target).toBe(UserRegisteredV2);
    expect(types.latest('user.unknown')).toBeUndefined();
  });

  it('registers a class on first use through forClass', () => {
    const types = registry();

    expect(types.has('order.placed')).toBe(false);
    expect(types.forClass(OrderPlaced).type).toBe('order.placed');
    expect(types.has('order.placed')).toBe(true);
  });

  it('fails for a class without @IntegrationEvent', () => {
    const error = configurationError(() => registry().register(NotAnEvent));

    expect(error.message).toBe(
      "NotAnEvent is not an event class: decorate it with @IntegrationEvent({ type: '...', version: 1 }).",
    );
  });

  it.each([
    '',
    ' user',
    'user registered',
    '../user',
    'user/registered',
    '.user',
    '-user',
    'üser',
    'x'.repeat(201),
    42,
  ])('fails for the type name %j, naming the class', (type) => {
    const target = withMetadata('BadType', { type, version: 1 });

    const error = configurationError(() => registry().register(target));

    expect(error.message).toContain('"@IntegrationEvent(BadType).type"');
  });

  it.each([0, -1, 1.5, NaN, '2'])('fails for the version %j, naming the class', (version) => {
    const target = withMetadata('BadVersion', { type: 'user.registered', version });

    const error = configurationError(() => registry().register(target));

    expect(error.message).toContain('"@IntegrationEvent(BadVersion).version"');
  });

  it('fails for a key that is not a function', () => {
    const target = withMetadata('BadKey', { type: 'user.registered', version: 1, key: 'userId' });

    expect(configurationError(() => registry().register(target)).message).toContain(
      '"@IntegrationEvent(BadKey).key"',
    );
  });

  it('applies topics.naming to find the topic', () => {
    const types = registry({ topics: { naming: (type) => `prod.${type}.v1` } });

    expect(types.register(UserRegisteredV1).topic).toBe('prod.user.registered.v1');
  });

  it.each([
    ['an invalid character', () => 'prod/user'],
    ['an empty name', () => ''],
    ['a name over 244 characters', () => 'x'.repeat(245)],
    ['not a string', () => 42 as unknown as string],
  ])('fails when topics.naming returns %s', (_case, naming) => {
    const types = registry({ topics: { naming } });

    const error = configurationError(() => types.register(UserRegisteredV1));

    expect(error.message).toContain('"topics.naming"');
    expect(error.message).toContain('user.registered');
    expect(types.has('user.registered')).toBe(false);
  });
});
