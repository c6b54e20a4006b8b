import { describe, expect, it } from "vitest";
import { BREAKER_PRESETS, type BreakerConfig, CircuitBreaker } from "./circuit-breaker.ts";
import { OracleError } from "./errors.ts";

/** A fake clock the breaker reads; tests move it by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const boom = () => Promise.reject(new Error("exchange down"));
const fine = () => Promise.resolve("ok");

describe("circuit breaker", () => {
  it("has the seed's default, strict and relaxed presets", () => {
    expect(BREAKER_PRESETS).toEqual({
      default: {
        failureThreshold: 5,
        successThreshold: 3,
        resetTimeoutMs: 30_000,
        windowMs: 60_000,
        minRequests: 10,
        failureRatePercent: 50,
      },
      strict: {
        failureThreshold: 3,
        successThreshold: 5,
        resetTimeoutMs: 60_000,
        windowMs: 30_000,
        minRequests: 5,
        failureRatePercent: 30,
      },
      relaxed: {
        failureThreshold: 10,
        successThreshold: 2,
        resetTimeoutMs: 15_000,
        windowMs: 120_000,
        minRequests: 20,
        failureRatePercent: 70,
      },
    });
  });

  it.each(["default", "strict", "relaxed"] as const)(
    "%s: opens after its threshold, rejects without calling, half-opens after its timeout, closes after its successes",
    async (preset) => {
      const config = BREAKER_PRESETS[preset];
      const time = clock();
      const breaker = new CircuitBreaker(preset, { now: time.now, source: "okx" });
      for (let i = 0; i < config.failureThreshold - 1; i++) {
        await expect(breaker.execute(boom)).rejects.toThrow("exchange down");
        expect(breaker.state).toBe("closed");
      }
      await expect(breaker.execute(boom)).rejects.toThrow("exchange down");
      expect(breaker.state).toBe("open");

      // Open: rejected without calling.
      let calls = 0;
      const counted = () => {
        calls++;
        return fine();
      };
      time.advance(config.resetTimeoutMs - 1);
      const rejection = await breaker.execute(counted).catch((e: unknown) => e);
      expect(rejection).toBeInstanceOf(OracleError);
      expect((rejection as OracleError).code).toBe("circuitOpen");
      expect((rejection as OracleError).message).toBe(
        "okx: paused after repeated failures (last: exchange down); next try in 1 s",
      );
      expect(calls).toBe(0);
      expect(breaker.status()).toEqual({
        state: "open",
        reason: "exchange down",
        retryAt: 1_000_000 + config.resetTimeoutMs,
      });

      // Half-open after the timeout: calls go through as probes.
      time.advance(1);
      expect(breaker.state).toBe("halfOpen");
      for (let i = 0; i < config.successThreshold - 1; i++) {
        await expect(breaker.execute(counted)).resolves.toBe("ok");
        expect(breaker.state).toBe("halfOpen");
      }
      await expect(breaker.execute(counted)).resolves.toBe("ok");
      expect(breaker.state).toBe("closed");
      expect(calls).toBe(config.successThreshold);
      expect(breaker.status()).toEqual({ state: "closed", reason: null, retryAt: null });
    },
  );

  it("a failure while half-open reopens it for a full timeout", async () => {
    const time = clock();
    const breaker = new CircuitBreaker("strict", { now: time.now });
    for (let i = 0; i < 3; i++) await breaker.execute(boom).catch(() => {});
    time.advance(60_000);
    await expect(breaker.execute(fine)).resolves.toBe("ok");
    await expect(breaker.execute(boom)).rejects.toThrow();
    expect(breaker.state).toBe("open");
    time.advance(59_999);
    expect(breaker.state).toBe("open");
    time.advance(1);
    expect(breaker.state).toBe("halfOpen");
  });

  it("a success resets the consecutive failure count", async () => {
    // The failure-rate rule is set out of reach here (minRequests 100) to isolate the count.
    const breaker = new CircuitBreaker({ ...BREAKER_PRESETS.strict, minRequests: 100 }, { now: clock().now });
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(fine);
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe("closed");
  });

  it("opens on the failure rate in its window even without consecutive failures", async () => {
    const config: BreakerConfig = {
      ...BREAKER_PRESETS.default,
      failureThreshold: 100,
      minRequests: 4,
      failureRatePercent: 50,
    };
    const time = clock();
    const breaker = new CircuitBreaker(config, { now: time.now });
    await breaker.execute(fine);
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(fine);
    expect(breaker.state).toBe("closed");
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe("open");
  });

  it("forgets outcomes older than its window", async () => {
    const config: BreakerConfig = {
      ...BREAKER_PRESETS.default,
      failureThreshold: 100,
      minRequests: 4,
      windowMs: 1_000,
    };
    const time = clock();
    const breaker = new CircuitBreaker(config, { now: time.now });
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    await breaker.execute(boom).catch(() => {});
    time.advance(1_000);
    await breaker.execute(boom).catch(() => {});
    expect(breaker.state).toBe("closed");
  });

  it("errors the caller says are not failures do not count", async () => {
    const breaker = new CircuitBreaker("strict", {
      now: clock().now,
      isFailure: (e) => !(e instanceof OracleError && e.code === "throttled"),
    });
    const throttled = () => Promise.reject(new OracleError("throttled"));
    for (let i = 0; i < 10; i++) await breaker.execute(throttled).catch(() => {});
    expect(breaker.state).toBe("closed");
  });

  it("rejects invalid configurations", () => {
    expect(() => new CircuitBreaker({ ...BREAKER_PRESETS.default, failureThreshold: 0 })).toThrow(
      /failureThreshold must be an integer ≥ 1/,
    );
    expect(() => new CircuitBreaker({ ...BREAKER_PRESETS.default, failureRatePercent: 0 })).toThrow(
      /failureRatePercent/,
    );
  });
});
