import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OracleError } from "./errors.ts";
import { HostRateLimiter, TokenBucket } from "./rate-limiter.ts";

describe("token bucket", () => {
  it("never exceeds its rate under any burst (every window of W ms holds ≤ burst + rate·W/1000 grants)", () => {
    fc.assert(
      fc.property(
        fc.record({
          requestsPerSecond: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(0.5, 1.5, 3.3, 7)),
          burst: fc.integer({ min: 1, max: 20 }),
        }),
        // Request times: bursts of simultaneous requests separated by arbitrary gaps.
        fc.array(
          fc.record({ gapMs: fc.integer({ min: 0, max: 700 }), count: fc.integer({ min: 1, max: 40 }) }),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        (limit, bursts) => {
          let t = 0;
          const bucket = new TokenBucket(limit, () => t);
          const grants: number[] = [];
          for (const { gapMs, count } of bursts) {
            t += gapMs;
            for (let i = 0; i < count; i++) if (bucket.tryTake()) grants.push(t);
          }
          for (let i = 0; i < grants.length; i++) {
            for (let j = i; j < grants.length; j++) {
              const window = (grants[j] as number) - (grants[i] as number);
              const allowed = limit.burst + Math.floor((window * limit.requestsPerSecond) / 1000);
              if (j - i + 1 > allowed) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it("grants a full burst after a quiet period, then one per interval", () => {
    let t = 0;
    const bucket = new TokenBucket({ requestsPerSecond: 2, burst: 3 }, () => t);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.msUntilAvailable()).toBe(500);
    t = 499;
    expect(bucket.tryTake()).toBe(false);
    t = 500;
    expect(bucket.tryTake()).toBe(true);
    t = 10_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it("a pause (Retry-After) stops grants until it ends", () => {
    let t = 0;
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 10 }, () => t);
    bucket.pauseUntil(60_000);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.msUntilAvailable()).toBe(60_000);
    t = 60_000;
    expect(bucket.tryTake()).toBe(true);
  });

  it("rejects a limit that is not positive", () => {
    expect(() => new TokenBucket({ requestsPerSecond: 0, burst: 1 })).toThrow(
      /requestsPerSecond must be > 0/,
    );
    expect(() => new TokenBucket({ requestsPerSecond: 1, burst: 0 })).toThrow(/burst must be an integer ≥ 1/);
  });
});

describe("host rate limiter", () => {
  function fakeTime() {
    let t = 0;
    const slept: number[] = [];
    return {
      now: () => t,
      sleep: async (ms: number) => {
        slept.push(ms);
        t += ms;
      },
      slept,
    };
  }

  it("waits for the next slot instead of exceeding the host's limit", async () => {
    const time = fakeTime();
    const limiter = new HostRateLimiter({ now: time.now, sleep: time.sleep });
    limiter.setLimit("api.kraken.com", { requestsPerSecond: 1, burst: 2 });
    const granted: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.take("api.kraken.com");
      granted.push(time.now());
    }
    expect(granted).toEqual([0, 0, 1_000, 2_000, 3_000]);
  });

  it("keeps hosts apart", async () => {
    const time = fakeTime();
    const limiter = new HostRateLimiter({ now: time.now, sleep: time.sleep });
    limiter.setLimit("a", { requestsPerSecond: 1, burst: 1 });
    limiter.setLimit("b", { requestsPerSecond: 1, burst: 1 });
    await limiter.take("a");
    await limiter.take("b");
    expect(time.slept).toEqual([]);
  });

  it("gives up with a throttled error rather than wait past the caller's budget", async () => {
    const time = fakeTime();
    const limiter = new HostRateLimiter({ now: time.now, sleep: time.sleep });
    limiter.setLimit("h", { requestsPerSecond: 1, burst: 1 });
    await limiter.take("h");
    const error = await limiter.take("h", { maxWaitMs: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OracleError);
    expect((error as OracleError).code).toBe("throttled");
    expect((error as OracleError).message).toBe(
      "h: local request limit reached (1/s, burst 1); next slot in 1000 ms",
    );
    limiter.pause("h", 90_000);
    const paused = await limiter.take("h", { maxWaitMs: 500 }).catch((e: unknown) => e as OracleError);
    expect((paused as OracleError).message).toBe(
      "h: the exchange asked us to wait; next request allowed in 90 s",
    );
  });

  it("two sources on one host share the stricter limit", () => {
    const limiter = new HostRateLimiter();
    limiter.setLimit("h", { requestsPerSecond: 5, burst: 10 });
    limiter.setLimit("h", { requestsPerSecond: 1, burst: 20 });
    expect(limiter.bucket("h").limit).toEqual({ requestsPerSecond: 1, burst: 10 });
  });
});
