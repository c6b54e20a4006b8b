/**
 * Red team (issue 13): BTC sent to a protocol script in a transaction that carries a settle spell but
 * is no settlement (it spends no protocol coin) is a stray like any other: owed back to the sender
 * from 10,000 sats (docs/decisions.md §2a "Refunds": a user's mistake costs a fee, never six months).
 * Before, the indexer returned right after refusing the settle spell, so such an output was never
 * tracked: no coin, no refund, the BTC left at a custody script nobody would settle.
 */
import { p2wpkh } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { networkParams } from "../../src/btc/network.ts";
import { fromHex, toHex } from "../../src/btc/scripts.ts";
import { SPELL_MAGIC, SPELL_VERSION } from "../../src/btc/spell.ts";
import { initPoseidon } from "../../src/protocol/index.ts";
import { checkInvariants, poolScriptHex } from "../../src/settlement/index.ts";
import { testVaultScript } from "../indexer/chain.ts";
import { MemoryChain } from "../indexer/memoryChain.ts";
import { annOpensVault, custodyChain } from "../support/custody-chain.ts";

beforeAll(() => initPoseidon());

describe("a settle spell that is no settlement does not hide BTC sent to custody (red team)", () => {
  it("its outputs at the pool's or a vault's script are strays: owed back from 10,000 sats, kept below", async () => {
    const { chain, indexer, att } = await custodyChain();
    const annVault = testVaultScript(MemoryChain.key("ann"));
    chain.mine([annOpensVault(att(2))]);
    await indexer.sync();
    const pool = fromHex(poolScriptHex(indexer.state)!);
    // Eve's transactions carry a settle spell's header and garbage (it does not decode), and a
    // well-formed settle spell naming nothing; neither spends a protocol coin.
    const garbage = Uint8Array.from([...SPELL_MAGIC, SPELL_VERSION, 0x81, 1, 2, 3]);
    const named = Uint8Array.from([
      ...SPELL_MAGIC,
      SPELL_VERSION,
      0x81,
      0,
      232,
      7,
      0,
      1,
      0,
      ...new Uint8Array(16),
    ]);
    chain.mine([
      { actor: "eve", pay: [{ script: pool, sats: 40_000n }], payload: garbage },
      {
        actor: "eve",
        pay: [
          { script: annVault, sats: 25_000n },
          { script: pool, sats: 4_000n },
        ],
        payload: named,
      },
    ]);
    await indexer.sync();
    const s = indexer.state;
    expect(checkInvariants(s).problems).toEqual([]);
    const eve = toHex(p2wpkh(MemoryChain.key("eve"), networkParams("regtest")).script);
    const refunds = [...s.custody.obligations.values()]
      .filter((o) => o.status === "open" && o.script === eve)
      .map((o) => o.sats)
      .sort((a, b) => (a < b ? -1 : 1));
    expect(refunds).toEqual([25_000n, 40_000n]);
    const sats = (script: Uint8Array) =>
      [...s.custody.coins.values()]
        .filter((c) => c.script === toHex(script))
        .reduce((a, c) => a + c.sats, 0n);
    expect(sats(pool)).toBe(44_000n);
    expect(sats(annVault)).toBe(30_025_000n);
  });
});
