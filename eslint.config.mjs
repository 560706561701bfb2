// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

// Workflow code runs in Temporal's deterministic sandbox, and the pure domain is imported by it:
// neither may reach Node built-ins or I/O packages (one careless import would pull `mongodb` into
// the workflow bundle).
const forbiddenInSandbox = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'mongodb',
  'fastify',
  'pino',
  'commander',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/plugin',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.imex/**', 'coverage/**', 'src/api/web/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'object-shorthand': ['error', 'always'],
    },
  },
  {
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenInSandbox.map((name) => ({
            name,
            message: 'Workflow code and the pure domain must stay deterministic and free of Node APIs and I/O.',
          })),
          patterns: [
            {
              group: ['**/store/**', '**/modules/**', '**/api/**', '**/stack/**', '**/cli/**', '**/activities/**'],
              message: 'Workflow code and the pure domain may import only the pure domain and workflow code.',
            },
          ],
        },
      ],
    },
  },
  {
    // The workflow bundle is evaluated again for every cached workflow: workflow code and the plain
    // domain it imports stay free of zod (types only) and of the schemas; workflows import the
    // plain barrel (src/domain/plain.ts), not src/domain, which re-exports the schemas too.
    // test/unit/workflow-bundle.test.ts checks the bundle itself.
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    ignores: ['src/domain/schemas/**', 'src/domain/index.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'zod',
              allowTypeImports: true,
              message:
                'Workflow code stays free of zod (heavy, evaluated per cached workflow): put schemas in src/domain/schemas.',
            },
          ],
          patterns: [
            {
              regex: '(^|/)schemas(/|$)',
              allowTypeImports: true,
              message: 'The zod schemas are for validating code, not for workflow code (types may be imported).',
            },
            {
              regex: '(^|/)(src/)?domain(/index)?$|^\\.(/index)?$',
              message: 'The domain barrel brings zod along: workflow code imports src/domain/plain.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { module: 'readonly', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
