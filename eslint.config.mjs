import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import layers from './scripts/eslint-layers.js';

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'coverage/**', '.nx/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
    },
  },
  {
    // Nothing in the library imports from a layer above it (ARCHITECTURE.md). Specs and their
    // fixtures may reach across layers to set a scene.
    files: ['libs/event-bus/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/__fixtures__/**'],
    plugins: { 'event-bus': layers.plugin },
    rules: { 'event-bus/layers': 'error' },
  },
  {
    // The core talks to storage through the port in storage/ (ARCHITECTURE.md); only the
    // TypeORM adapter imports TypeORM's code. Its types may name the `EntityManager` handlers get.
    files: ['libs/event-bus/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/__fixtures__/**', 'libs/event-bus/src/storage/typeorm/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'typeorm',
              allowTypeImports: true,
              message:
                'Only the storage adapter (storage/typeorm/) imports TypeORM code; use the storage port.',
            },
            {
              name: '@nestjs/typeorm',
              allowTypeImports: true,
              message:
                'Only the storage adapter (storage/typeorm/) imports TypeORM code; use the storage port.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/demo/**', 'bench/**', 'scripts/**', 'test/**', '**/*.spec.ts', '**/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', 'scripts/**'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
