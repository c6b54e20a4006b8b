import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Vitest's default is one worker per core but one, so a single file at a time on CI's two cores,
    // where much of the time is spent waiting (devnets, loopback servers, rate-limit pauses, child
    // processes). Two at a time there: the 16 slowest files took 236 s instead of 398 s. Ports are
    // all free ports and scratch files are per-test temporary directories, so files may overlap.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
