import { describe, expect, it } from "vitest";
import { createGenesisState, DEFAULT_PARAMS } from "../../protocol/index.ts";
import { accountCustody } from "./custody.ts";

describe("an account's custody view", () => {
  it("vault coins, payouts owed (open) and settled ones; other people's obligations stay out", () => {
    const s = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n });
    const c = s.custody;
    c.coins.set("b:0", { outpoint: "b:0", sats: 30n, vault: "alice", script: "0020aa", height: 5n });
    c.coins.set("a:1", { outpoint: "a:1", sats: 70n, vault: "alice", script: "0020aa", height: 3n });
    c.coins.set("p:0", { outpoint: "p:0", sats: 900n, vault: null, script: "0020bb", height: 3n });
    const ob = (id: string, script: string, sats: bigint, height: bigint, settledBy: string | null) => ({
      id,
      source: null,
      script,
      sats,
      maxFee: 100n,
      height,
      status: settledBy ? ("settled" as const) : ("open" as const),
      settledBy,
    });
    c.obligations.set("o1", ob("o1", "0014AL", 500n, 8n, null));
    c.obligations.set("o0", ob("o0", "0014al", 200n, 7n, null));
    c.obligations.set("o2", ob("o2", "0014al", 50n, 4n, "tx9"));
    c.obligations.set("o3", ob("o3", "0014bo", 1_000n, 8n, null));
    const v = accountCustody(s, "alice", ["0014AL".toLowerCase()]);
    expect(v.coins.map((x) => x.outpoint)).toEqual(["a:1", "b:0"]);
    expect(v.coinSats).toBe(100n);
    expect(v.owed.map((o) => o.id)).toEqual(["o0"]); // script match is exact hex, lowercase
    expect(v.owedSats).toBe(200n);
    expect(v.settled).toEqual([expect.objectContaining({ id: "o2", settledBy: "tx9" })]);
    expect(accountCustody(s, "bob", ["0014bo"]).owed.map((o) => o.sats)).toEqual([1_000n]);
  });
});
