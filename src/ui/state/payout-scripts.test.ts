import { afterEach, describe, expect, it } from "vitest";
import { rememberedPayoutScripts, rememberPayoutScript } from "./payout-scripts.ts";

/** A Storage over a Map (node has no localStorage). */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

afterEach(() => {
  delete (globalThis as { localStorage?: Storage }).localStorage;
});

describe('"Send BTC to" scripts remembered per account', () => {
  it("lists them newest first, once each, at most 20, per account; garbage in storage reads as none", () => {
    (globalThis as { localStorage?: Storage }).localStorage = memoryStorage();
    expect(rememberedPayoutScripts("ann")).toEqual([]);
    rememberPayoutScript("ann", "5120AB");
    rememberPayoutScript("ann", "0014cd");
    rememberPayoutScript("ann", "5120ab");
    expect(rememberedPayoutScripts("ann")).toEqual(["5120ab", "0014cd"]);
    expect(rememberedPayoutScripts("ben")).toEqual([]);
    for (let i = 0; i < 30; i++) rememberPayoutScript("ben", `00${i.toString(16).padStart(2, "0")}`);
    expect(rememberedPayoutScripts("ben")).toHaveLength(20);
    expect(rememberedPayoutScripts("ben")[0]).toBe("001d");
    localStorage.setItem("zkusd:payout-scripts:cat", "{not json");
    expect(rememberedPayoutScripts("cat")).toEqual([]);
    localStorage.setItem("zkusd:payout-scripts:cat", JSON.stringify(["zz", 5, "51"]));
    expect(rememberedPayoutScripts("cat")).toEqual(["51"]);
  });

  it("without storage (node, or disabled by the browser) remembers nothing and never throws", () => {
    rememberPayoutScript("ann", "5120ab");
    expect(rememberedPayoutScripts("ann")).toEqual([]);
  });
});
