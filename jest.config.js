// Two projects: pure unit tests need no servers; integration and e2e tests share one local
// stack (Temporal dev server + MongoDB wire-protocol server) started once per jest run by
// globalSetup. Jest runs a project's globalSetup only when one of its tests is selected, so
// `npx jest test/unit` starts nothing.
const transform = {
  // Type checking is `npm run typecheck`; jest only transpiles, which keeps runs fast.
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
};

/** @type {import('jest').Config} */
module.exports = {
  // Two cores: the servers take one, so two test files at a time.
  maxWorkers: 2,
  // Integration tests talk to real servers; jest only honours this at the top level.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/e2e'],
      testMatch: ['**/*.test.ts'],
      transform,
      setupFiles: ['<rootDir>/test/helpers/quiet-temporal.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
  ],
};
