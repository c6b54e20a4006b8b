/**
 * The sync gate (issue 15 item 1): nothing is said to be current before the leading tab has learnt the
 * chain's tip. A fresh browser's engine, while it loads the verification keys and asks for the tip,
 * holds the genesis state at "height = tip" of its own: that must read as starting, not ready.
 */
import { describe, expect, it } from "vitest";
import type { DataStatus } from "../../client/index.ts";
import type { SyncSetup } from "../engine/sync.ts";
import { syncGateOf } from "./readiness.ts";

const following = { state: "following" } as unknown as SyncSetup;
const status = (over: Partial<DataStatus>, progress: Partial<NonNullable<DataStatus["progress"]>>) =>
  ({
    role: "leader",
    height: 0,
    root: "00",
    blocksWritten: 0,
    lastError: null,
    ...over,
    progress: { height: 0, tip: 0, done: 0, todo: 0, syncing: false, tipKnown: true, ...progress },
  }) as DataStatus;

describe("syncGateOf", () => {
  it("is starting while the leader has not learnt the tip (its stored head looks like the tip)", () => {
    expect(syncGateOf(following, status({}, { height: 0, tip: 0, tipKnown: false }))).toEqual({
      ready: false,
      reason: "starting",
    });
  });

  it("is behind below the tip, ready at it", () => {
    expect(syncGateOf(following, status({}, { height: 5, tip: 9 }))).toMatchObject({
      ready: false,
      reason: "behind",
    });
    expect(syncGateOf(following, status({}, { height: 9, tip: 9 }))).toEqual({ ready: true });
  });

  it("shows the state last synced once the first attempt failed (offline), and trusts a follower's leader", () => {
    expect(
      syncGateOf(following, status({ lastError: "fetch failed" }, { height: 7, tip: 7, tipKnown: false })),
    ).toEqual({ ready: true });
    expect(
      syncGateOf(following, status({ role: "follower" }, { height: 7, tip: 7, tipKnown: false })),
    ).toEqual({ ready: true });
  });
});
