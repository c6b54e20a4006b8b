/**
 * Red team: a second user in the same block. docs/decisions.md §2: "two users acting in the same block never
 * invalidate each other's proofs". The engine's clock is the attestation's timestamp of each spell and
 * may never go back (apply: timeWentBackwards), and any spell may carry any valid attestation. So a
 * stranger who copies the guardians' newest attestation (public) into a cheap spell ahead of a
 * victim's spell in the same block (a higher fee is enough) makes the victim's spell fail, though its
 * attestation is of the very price in force; two honest users with attestations a minute apart do the
 * same to each other by accident. Failed on main (2140c9a): the spell ran at its own, earlier time.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { SpellOperation } from "../../src/btc/spell.ts";
import { applySpell, type VerifierConfig } from "../../src/indexer/verify.ts";
import { apply, createGenesisState, DEFAULT_PARAMS, initPoseidon } from "../../src/protocol/index.ts";
import { attest, E18, ORACLE_KEYS } from "../indexer/chain.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const verifier: VerifierConfig = { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} };
const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) => ({
  version: 1,
  op,
  attestation,
  proof: new Uint8Array(128),
});

beforeAll(() => initPoseidon());

describe("red team: a second user in the same block", () => {
  it.each([
    ["a transfer carrying a newer attestation", "transfer"],
    ["a setPrice of the same price with a newer attestation", "setPrice"],
  ])(
    "%s placed first does not make another user's spell (attested at the price in force) fail",
    (_, kind) => {
      const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: BigInt(T0), height: 100n });
      for (const op of [
        { type: "setPrice", price: PRICE },
        { type: "openVault", owner: "mallory", collateral: E18, borrow: 3_000n * E18 },
      ] as const) {
        const r = apply(state, op, { height: 100n, time: BigInt(T0 + 60) });
        if (!r.ok) throw r.error;
      }
      const place = (position: number) => ({
        height: 101,
        position,
        txid: "ab".repeat(32),
        blockTime: T0 + 600,
      });
      // The victim built its spell from the attestation published at T0 + 120 (the price in force).
      const victim = spell(
        { type: "openVault", collateral: E18, borrow: 2_000n * E18 },
        attest(PRICE, T0 + 120, 2n).bytes,
      );
      // The stranger copies the guardians' next attestation (same price, one minute later) into a cheap spell.
      const newer = attest(PRICE, T0 + 180, 3n).bytes;
      const first =
        kind === "transfer"
          ? spell({ type: "transfer", to: "anyone", amount: 1n }, newer)
          : spell({ type: "setPrice", price: PRICE }, newer);
      const a = applySpell(state, first, "mallory", place(1), verifier);
      expect(a.ok).toBe(true);
      const b = applySpell(state, victim, "victim", place(2), verifier);
      expect(b.ok ? "applied" : `${b.reason.code} ${b.reason.detail ?? ""} ${b.reason.message}`).toBe(
        "applied",
      );
    },
  );
});
