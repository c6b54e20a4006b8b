import { describe, expect, it } from "vitest";
import { LEADER_WINDOW, leaderAt, nextLeadership } from "./leader.ts";

describe("settlement leader", () => {
  it("guardian ⌊h/6⌋ mod n leads; the next one takes over after 6 blocks", () => {
    expect([0, 5, 6, 11, 12, 17, 18].map((h) => leaderAt(h, 3))).toEqual([0, 0, 1, 1, 2, 2, 0]);
    // Every guardian leads once in n windows: a downed leader delays settlements by one window at most.
    const leaders = new Set(Array.from({ length: 3 * LEADER_WINDOW }, (_, h) => leaderAt(1_000 + h, 3)));
    expect(leaders.size).toBe(3);
    expect(leaderAt(7, 1)).toBe(0);
  });

  it("says when a guardian leads next, and refuses nonsense", () => {
    expect(nextLeadership(0, 3, 0)).toBe(0);
    expect(nextLeadership(3, 3, 1)).toBe(6);
    expect(nextLeadership(7, 3, 0)).toBe(18);
    for (const h of [0, 4, 9, 100])
      for (const i of [0, 1, 2]) expect(leaderAt(nextLeadership(h, 3, i), 3)).toBe(i);
    expect(() => leaderAt(-1, 3)).toThrow(RangeError);
    expect(() => leaderAt(5, 0)).toThrow(RangeError);
  });
});
