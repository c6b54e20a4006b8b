/**
 * A new proposal's value field (issue 15): prefilled with the parameter's value now, never an older
 * state's while the engine is behind the tip, and never over what the user typed.
 */
import { describe, expect, it } from "vitest";
import { governableParameters } from "../../governance/index.ts";
import { createGenesisState, DEFAULT_PARAMS, parseDecimal } from "../../protocol/index.ts";
import { shownText } from "./ProposeForm.tsx";

const mcrOf = (mcr: string) => {
  const state = createGenesisState({ ...DEFAULT_PARAMS, MCR: parseDecimal(mcr) }, { time: 0n });
  return governableParameters(state).find((p) => p.name === "MCR")!;
};
const row = (text: string | null) => ({ key: 1, type: "setParameter" as const, name: "MCR", text });

describe("the proposal form's value", () => {
  it("follows the parameter's value now until the user types", () => {
    expect(shownText(row(null), mcrOf("1.1"), true)).toBe("110");
    expect(shownText(row(null), mcrOf("1.2"), true)).toBe("120");
  });
  it("is empty while the engine is behind: the value then is an older state's", () => {
    expect(shownText(row(null), mcrOf("1.1"), false)).toBe("");
  });
  it("keeps what the user typed", () => {
    expect(shownText(row("115"), mcrOf("1.2"), true)).toBe("115");
    expect(shownText(row("115"), mcrOf("1.1"), false)).toBe("115");
  });
});
