'use strict';

// The packages by name, straight from their sources: tests need no build.
const moduleNameMapper = {
  '^@nestbus/event-bus$': '<rootDir>/libs/event-bus/src',
  '^@nestbus/event-bus/testing$': '<rootDir>/libs/event-bus/testing',
  '^@nestbus/event-bus/(transport|kafka|platformatic-kafka|operations|storage|microservices)$':
    '<rootDir>/libs/event-bus/src/$1',
  '^@nestbus/contracts$': '<rootDir>/libs/contracts/src',
  '^@nestbus/service-config$': '<rootDir>/libs/service-config/src',
  '^@nestbus/user-service$': '<rootDir>/apps/user-service/src',
  '^@nestbus/order-service$': '<rootDir>/apps/order-service/src',
};

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  // ES-module-only packages, compiled to CommonJS for Jest (see the transformer).
  '/node_modules/@platformatic/.+\\.js$': '<rootDir>/scripts/jest-esm.transformer.js',
};
/** Packages Jest transforms although they are in node_modules: the ES-module-only ones. */
const transformIgnorePatterns = ['/node_modules/(?!@platformatic/)'];

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
      modulePathIgnorePatterns: ['<rootDir>/(apps|libs)/[^/]+/dist/'],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      modulePathIgnorePatterns: ['<rootDir>/(apps|libs)/[^/]+/dist/'],
      moduleNameMapper,
      transform,
      transformIgnorePatterns,
      testTimeout: 120000,
    },
  ],
};
