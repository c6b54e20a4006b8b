import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OracleError } from "./errors.ts";
import { backoffDelay, retry } from "./retry.ts";

const transient = () => new OracleError("network", "connection reset", { retryable: true });

describe("retry with exponential backoff and full jitter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the wait ceiling doubles per attempt up to the maximum; jitter picks within it", () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect([1, 2, 3].map((n) => backoffDelay(n, policy, () => 0))).toEqual([0, 0, 0]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it("retries transient failures after the jittered waits, then succeeds", async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = retry(
      async () => {
        calls++;
        if (calls < 3) throw transient();
        return "price";
      },
      {
        maxAttempts: 3,
        baseDelayMs: 100,
        maxDelayMs: 10_000,
        random: () => 0.5,
        onRetry: (_e, _n, ms) => waits.push(ms),
      },
    );
    await vi.advanceTimersByTimeAsync(49);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    await expect(result).resolves.toBe("price");
    expect(calls).toBe(3);
    expect(waits).toEqual([50, 100]);
  });

  it("gives up after maxAttempts with the last error", async () => {
    let calls = 0;
    const result = retry(
      async () => {
        calls++;
        throw transient();
      },
      { maxAttempts: 3, baseDelayMs: 10, random: () => 1 - 1e-9 },
    );
    const settled = expect(result).rejects.toThrow("connection reset");
    await vi.runAllTimersAsync();
    await settled;
    expect(calls).toBe(3);
  });

  it("does not retry what cannot get better (malformed answers, blocks)", async () => {
    let calls = 0;
    await expect(
      retry(async () => {
        calls++;
        throw new OracleError("malformedResponse", "not JSON");
      }),
    ).rejects.toThrow("not JSON");
    expect(calls).toBe(1);
  });

  it("waits at least the server's Retry-After", async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = retry(
      async () => {
        calls++;
        if (calls === 1)
          throw new OracleError("rateLimited", "429", { retryable: true, retryAfterMs: 2_000 });
        return "ok";
      },
      { random: () => 0, onRetry: (_e, _n, ms) => waits.push(ms) },
    );
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toBe("ok");
    expect(waits).toEqual([2_000]);
  });

  it("does not start a wait that would end after the deadline", async () => {
    let calls = 0;
    const now = () => Date.now();
    await expect(
      retry(
        async () => {
          calls++;
          throw new OracleError("rateLimited", "429", { retryable: true, retryAfterMs: 60_000 });
        },
        { now, deadline: now() + 10_000 },
      ),
    ).rejects.toThrow("429");
    expect(calls).toBe(1);
  });

  it("rejects maxAttempts below 1", async () => {
    await expect(retry(async () => 1, { maxAttempts: 0 })).rejects.toThrow(
      /maxAttempts must be an integer ≥ 1/,
    );
  });
});
