/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Tests that move gigabytes run on their own: `npm run test:large` (jest.large.config.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.large\\.test\\.ts$'],
  transform: { '^.+\\.ts$': '<rootDir>/test/support/esbuild-transform.js' },
  setupFiles: ['<rootDir>/test/support/sdk-notice.ts'],
  testTimeout: 60000,
  maxWorkers: 2,
};
