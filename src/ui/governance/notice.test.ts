/** The governance screen's one notice (issue 15): the most important of what would have been several. */
import { describe, expect, it } from "vitest";
import type { SyncGate } from "../queries/readiness.ts";
import { governanceNotice } from "./notice.ts";

const ready: SyncGate = { ready: true };
const behind: SyncGate = { ready: false, reason: "behind", height: 10, tip: 500 };
const both = { shutdown: true, paused: true };

describe("governanceNotice", () => {
  it("says the engine is behind above everything else: a pause or shutdown then is an older state's", () => {
    expect(governanceNotice(behind, both, false)).toBe("behind");
    expect(governanceNotice({ ready: false, reason: "starting" }, undefined, false)).toBe("behind");
  });
  it("puts a shutdown before a pause, and says nothing when neither holds", () => {
    expect(governanceNotice(ready, both, false)).toBe("shutdown");
    expect(governanceNotice(ready, { shutdown: false, paused: true }, false)).toBe("paused");
    expect(governanceNotice(ready, { shutdown: false, paused: false }, false)).toBeNull();
    expect(governanceNotice(ready, undefined, false)).toBeNull();
  });
  it("leaves the error panel as the one message when the screen cannot be shown", () => {
    expect(governanceNotice(behind, both, true)).toBeNull();
  });
});
