/** `npm run test:large`: the tests that move gigabytes (run in CI, not by `npm test`). */
const base = require('./jest.config');

module.exports = { ...base, testMatch: ['**/*.large.test.ts'], testPathIgnorePatterns: ['/node_modules/'], maxWorkers: 1 };
