import { describe, expect, it } from "vitest";
import { coalesce } from "./coalesce.ts";

describe("coalesce", () => {
  it("runs at once when idle, folds a burst of calls into one run at its end, never loses the last", async () => {
    const runs: number[] = [];
    let calls = 0;
    let release!: () => void;
    const quiet: (() => void)[] = [];
    const trigger = coalesce(
      async () => {
        runs.push(calls);
        await new Promise<void>((r) => {
          release = r;
        });
      },
      1_000,
      () => new Promise<void>((r) => quiet.push(r)),
    );
    const tick = () => new Promise((r) => setTimeout(r, 0));
    calls++;
    trigger(); // idle: runs now
    expect(runs).toEqual([1]);
    for (let i = 0; i < 50; i++) {
      calls++;
      trigger(); // a catch-up: 50 blocks while the first refresh runs
    }
    expect(runs).toEqual([1]);
    release();
    await tick();
    quiet.shift()!(); // the quiet spell after the first run ends
    await tick();
    expect(runs).toEqual([1, 51]); // one more run, after the last block
    release();
    await tick();
    quiet.shift()!();
    await tick();
    expect(runs).toEqual([1, 51]); // nothing came meanwhile: idle again
    calls++;
    trigger();
    expect(runs).toEqual([1, 51, 52]);
  });
});
