const fs = require('node:fs')
const path = require('node:path')

/**
 * Coverage (`npm run test:coverage`, and every CI run: CI=true), printed at the end. The thresholds
 * hold for the pure rules (src/domain) and the access layer (src/access): a folder's threshold is set
 * only when the folder is there, since jest fails a threshold whose folder has no file.
 * Measured on those folders only, by counters compiled into their code (istanbul, `coverageProvider:
 * 'babel'`): V8's own counters cover every script of the process (the libraries included) and made
 * the integration files about 70 % slower; these add about 10 %. `COVERAGE_ALL=1` measures all of src/.
 */
const thresholds = {
  'src/domain/': { statements: 90, branches: 85, functions: 80, lines: 90 },
  'src/access/': { statements: 80, branches: 70, functions: 80, lines: 80 },
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is done once by `npm run typecheck`; jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/tests/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/tests/helpers/globalTeardown.ts',
  testTimeout: 180000,
  maxWorkers: process.env.JEST_WORKERS || 2,
  // A worker that has grown past this after a file is replaced by a fresh one. Each file loads the
  // whole app and its libraries into a module registry of its own, and some of it stays reachable
  // (pools, listeners, timers of libraries): without a limit the workers grew to 1.5 GB each and
  // spent their time in the garbage collector (a unit file took 12 s after a few browser files,
  // 0.3 s alone). With it, the run's CPU went from 960 to 560 s (issue 18 §6, docs/testing.md).
  workerIdleMemoryLimit: process.env.JEST_WORKER_MEMORY || '700MB',
  verbose: false,
  reporters: ['default', '<rootDir>/tests/helpers/summaryReporter.js'],
  collectCoverage: process.env.CI === 'true',
  coverageProvider: 'babel',
  collectCoverageFrom: process.env.COVERAGE_ALL ? ['src/**/*.ts', '!src/**/*.d.ts'] : Object.keys(thresholds).map((dir) => `${dir}**/*.ts`),
  coverageReporters: [['text', { skipFull: true }], 'text-summary', 'json-summary'],
  coverageThreshold: Object.fromEntries(
    Object.entries(thresholds)
      .filter(([dir]) => fs.existsSync(path.join(__dirname, dir)))
      .map(([dir, t]) => [`./${dir}`, t]),
  ),
}
