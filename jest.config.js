'use strict';

const moduleNameMapper = {
  '^@app/event-bus$': '<rootDir>/libs/event-bus/src',
  '^@app/event-bus/testing$': '<rootDir>/libs/event-bus/testing',
  '^@app/contracts$': '<rootDir>/libs/contracts/src',
  '^@app/service-config$': '<rootDir>/libs/service-config/src',
};

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      moduleNameMapper,
      transform,
      testTimeout: 120000,
    },
  ],
};
