/**
 * End-to-end tests: `e2e/**\/*.e2e.ts`, run by `npm run e2e` and as the last step of `npm test`.
 * The global setup builds the app once and starts the local stack (scripts/lib/stack.ts) on a free
 * port; tests drive Debian's Chromium with playwright-core (e2e/support/browser.ts). Files run one
 * at a time: the stack and the browser share two CPU cores.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    globalSetup: ["e2e/support/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
  },
});
