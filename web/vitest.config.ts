// The unit tests (npm test): vitest, Vite's own test runner, with Vite's
// transform but not the build's configuration (vite.config.ts builds the
// place names, which no test needs). Tests sit beside the code they test.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
