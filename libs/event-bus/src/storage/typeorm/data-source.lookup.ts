import { DiscoveryService, type ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EventBusConfigurationError } from '../../errors/event-bus-configuration.error';
import { dataSourceNotFound } from '../../event-bus.messages';

const DEFAULT_NAME = 'default';
const TOKEN_SUFFIX = 'DataSource';

/**
 * The TypeORM DataSource the `dataSource` option names. When the application has none by that
 * name, the error says what to import: Nest's own "could not find DataSource element" does not
 * mention the bus or the option.
 */
export function findDataSource(moduleRef: ModuleRef, name: string | undefined): DataSource {
  try {
    return moduleRef.get<DataSource>(getDataSourceToken(name), { strict: false });
  } catch {
    // ModuleRef.get only throws here when no provider has the token.
    const wanted = name === undefined || name === DEFAULT_NAME ? undefined : name;
    throw new EventBusConfigurationError(dataSourceNotFound(wanted, dataSourceNames(moduleRef)));
  }
}

/** Names of the DataSources the application does have ('default' for the unnamed one). */
function dataSourceNames(moduleRef: ModuleRef): string[] {
  let discovery: DiscoveryService;
  try {
    discovery = moduleRef.get(DiscoveryService, { strict: false });
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const wrapper of discovery.getProviders()) {
    if (!isDataSource(wrapper.instance)) continue;
    const token: unknown = wrapper.token;
    if (token === getDataSourceToken()) names.add(DEFAULT_NAME);
    else if (typeof token === 'string' && token.endsWith(TOKEN_SUFFIX)) {
      names.add(token.slice(0, -TOKEN_SUFFIX.length));
    }
  }
  return [...names];
}

/** By shape, not `instanceof`: the application may hold another copy of typeorm. */
function isDataSource(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    'manager' in value &&
    'options' in value &&
    'isInitialized' in value
  );
}
