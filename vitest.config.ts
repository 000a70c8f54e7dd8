import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Lambda runs nodejs22.x: the SDK's Node 20 notice is noise here; 500s are logged, not shown.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/dynamodb-local.global.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 90_000,
        },
      },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      // Not part of `npm test`: `npm run test:reliability` and `npm run test:browser` (CI runs both).
      {
        extends: true,
        test: {
          name: 'reliability',
          // The outbound-safety guarantees are proven by the domain-probe and address tests, run here too.
          include: ['test/reliability/**/*.test.ts', 'test/integration/domain-probe.test.ts', 'test/unit/address.test.ts'],
          globalSetup: ['test/support/dynamodb-local.global.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The races and fault tests start runtimes of their own: one file at a time on 2 cores.
          poolOptions: { forks: { singleFork: true } },
        },
      },
      { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000, poolOptions: { forks: { singleFork: true } } } },
    ],
  },
});
