import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/aws/**', 'test/template/**', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'aws',
          include: ['test/aws/**/*.test.ts', 'test/template/**/*.test.ts'],
          globalSetup: ['test/support/moto-global-setup.ts', 'test/template/translate-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One moto server per run; the files share it and reset it between tests, so run them one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
