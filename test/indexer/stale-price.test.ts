/**
 * Choosing a stale price (found by the red team). Prices reach the chain only when a user needs one (a
 * setPrice spell from the app), so between two on-chain updates every attestation the guardians
 * published could be used later: a stranger keeps the lowest one of a dip and, hours after the market
 * recovered, posts it and liquidates vaults that are healthy at the real price. The indexer now refuses
 * an attestation more than MAX_ATTESTATION_AGE_SEC older than the block time (it accepted any age).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { SpellOperation } from "../../src/btc/spell.ts";
import { applySpell, MAX_ATTESTATION_AGE_SEC, type VerifierConfig } from "../../src/indexer/verify.ts";
import { apply, createGenesisState, DEFAULT_PARAMS, initPoseidon } from "../../src/protocol/index.ts";
import { attest, E18, ORACLE_KEYS } from "./chain.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const DIP = 52_000n * E18;
const verifier: VerifierConfig = { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} };
const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) => ({
  version: 1,
  op,
  attestation,
  proof: new Uint8Array(128),
});

beforeAll(() => initPoseidon());

describe("a stale attestation", () => {
  it("a price attested six hours before the block is refused, so a past dip cannot be replayed to liquidate", () => {
    const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: BigInt(T0), height: 100n });
    for (const op of [
      { type: "setPrice", price: PRICE },
      { type: "openVault", owner: "other", collateral: 10n * E18, borrow: 100_000n * E18 },
      // 1 BTC, about 48,000 zkUSD of debt: 125% at 60,000, 108% at 52,000.
      { type: "openVault", owner: "victim", collateral: E18, borrow: 47_500n * E18 },
    ] as const) {
      const r = apply(state, op, { height: 100n, time: BigInt(T0 + 60) });
      if (!r.ok) throw r.error;
    }
    // A dip the guardians really signed two minutes in; nobody put it on chain. Six hours later:
    const dip = attest(DIP, T0 + 120, 2n).bytes;
    const place = { height: 136, position: 1, txid: "cd".repeat(32), blockTime: T0 + 6 * 3600 };
    const set = applySpell(state, spell({ type: "setPrice", price: DIP }, dip), "mallory", place, verifier);
    const liquidated =
      set.ok &&
      applySpell(state, spell({ type: "liquidate", owner: "victim" }, dip), "mallory", place, verifier).ok;
    expect({ priceAccepted: set.ok, victimLiquidated: liquidated }).toEqual({
      priceAccepted: false,
      victimLiquidated: false,
    });
  });

  it("an attestation exactly the maximum age old is accepted, one second older is refused as stalePrice", () => {
    const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: BigInt(T0), height: 100n });
    const signedAt = T0 + 120;
    const at = (blockTime: number) => ({ height: 101, position: 1, txid: "ab".repeat(32), blockTime });
    const set = (blockTime: number) =>
      applySpell(
        state,
        spell({ type: "setPrice", price: PRICE }, attest(PRICE, signedAt, 1n).bytes),
        "alice",
        at(blockTime),
        verifier,
      );
    const late = set(signedAt + MAX_ATTESTATION_AGE_SEC + 1);
    expect(late.ok ? null : late.reason.code).toBe("stalePrice");
    expect(set(signedAt + MAX_ATTESTATION_AGE_SEC).ok).toBe(true);
  });
});
