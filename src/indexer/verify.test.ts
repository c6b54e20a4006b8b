import { beforeAll, describe, expect, it } from "vitest";
import { attest, E18, ORACLE_KEYS } from "../../test/indexer/chain.ts";
import type { Spell, SpellOperation } from "../btc/index.ts";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import { compressProof, proofFromJson, prove } from "../zk/index.ts";
import { nodeArtifacts, terminateProver } from "../zk/node.ts";
import { loadVerificationKeys } from "./support.ts";
import { applySpell, circuitOf, type VerifierConfig } from "./verify.ts";

const PRICE = 60_000n * E18;
const T0 = 1_700_000_000;
const place = { height: 10, position: 1, txid: "ab".repeat(32), blockTime: T0 + 3600 };
let config: VerifierConfig;
const artifacts = nodeArtifacts();

const spell = (
  op: SpellOperation,
  attestation: Uint8Array = new Uint8Array(0),
  proof: Uint8Array = new Uint8Array(128),
): Spell => ({
  version: 1,
  op,
  attestation,
  proof,
});

function priced(): State {
  const s = createGenesisState({ ...DEFAULT_PARAMS }, { time: BigInt(T0), height: 9n });
  const ops = [
    { type: "setPrice", price: PRICE },
    { type: "openVault", owner: "alice", collateral: E18, borrow: 3_000n * E18 },
  ] as const;
  for (const op of ops) {
    const r = apply(s, op, { height: 9n, time: BigInt(T0 + 60) });
    if (!r.ok) throw r.error;
  }
  return s;
}

beforeAll(async () => {
  await initPoseidon();
  config = { proofs: true, oracleKeys: ORACLE_KEYS, verificationKeys: await loadVerificationKeys(artifacts) };
});

describe("spell checks", () => {
  it("maps exactly one vault change (or one liquidation) to its circuit", () => {
    expect(circuitOf({ type: "adjustVault", owner: "a", depositCollateral: 5n })?.circuit).toBe("deposit");
    expect(circuitOf({ type: "adjustVault", owner: "a", borrow: 5n })).toEqual({
      circuit: "mint",
      amount: 5n,
      maxFee: E18,
    });
    expect(circuitOf({ type: "adjustVault", owner: "a", borrow: 5n, repay: 1n })).toBeNull();
    expect(circuitOf({ type: "liquidate", owner: "a", liquidator: "b" })?.circuit).toBe("liquidate");
    expect(circuitOf({ type: "openVault", owner: "a", collateral: 1n, borrow: 1n })).toBeNull();
  });

  const refusals: [string, () => [State, Spell], string][] = [
    [
      "a priced operation without attestation",
      () => [priced(), spell({ type: "redeem", amount: E18 })],
      "missingAttestation",
    ],
    [
      "an attestation of another price than the state's",
      () => [priced(), spell({ type: "redeem", amount: E18 }, attest(PRICE + 1n, T0 + 120, 2n).bytes)],
      "badAttestation",
    ],
    [
      "setPrice whose attestation is for another price",
      () => [priced(), spell({ type: "setPrice", price: PRICE * 2n }, attest(PRICE, T0 + 120, 2n).bytes)],
      "badAttestation",
    ],
    [
      "an attestation without a quorum",
      () => {
        const bytes = attest(PRICE, T0 + 120, 2n).bytes;
        bytes[bytes.length - 5]! ^= 1;
        return [priced(), spell({ type: "setPrice", price: PRICE }, bytes)];
      },
      "badAttestation",
    ],
    [
      "a declared time past the block time and tolerance",
      () => [priced(), spell({ type: "setPrice", price: PRICE }, attest(PRICE, T0 + 3600 + 7201, 2n).bytes)],
      "timeInFuture",
    ],
    [
      "a declared time before the state's time",
      () => [priced(), spell({ type: "setPrice", price: PRICE }, attest(PRICE, T0 + 1, 2n).bytes)],
      "ruleViolated",
    ],
    [
      "a circuit operation with an empty proof slot",
      () => [
        priced(),
        spell({ type: "adjustVault", depositCollateral: E18 }, attest(PRICE, T0 + 120, 2n).bytes),
      ],
      "proofMissing",
    ],
    [
      "a circuit operation with bytes that are no proof",
      () => [
        priced(),
        spell(
          { type: "adjustVault", depositCollateral: E18 },
          attest(PRICE, T0 + 120, 2n).bytes,
          new Uint8Array(128).fill(7),
        ),
      ],
      "proofInvalid",
    ],
  ];
  for (const [name, make, code] of refusals) {
    it(`rejects ${name} (${code}) and leaves the state as it was`, () => {
      const [state, s] = make();
      const before = serializeState(state);
      const root = stateRoot(state);
      const out = applySpell(state, s, "alice", place, config);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.reason.code).toBe(code);
      expect(serializeState(state)).toEqual(before);
      expect(stateRoot(state)).toBe(root);
    });
  }

  it("applies a deposit whose proof verifies against the engine's roots, and refuses it on another state", async () => {
    const state = priced();
    const a = attest(PRICE, T0 + 180, 3n);
    const result = await prove(
      { type: "deposit", owner: "alice", amount: E18 / 2n },
      state,
      { time: a.statement.timestamp, attestation: a.statement },
      artifacts,
    );
    await terminateProver();
    const proof = compressProof(proofFromJson(result.proof));
    const other = priced();
    apply(
      other,
      { type: "transfer", from: "alice", to: "bob", amount: 1n },
      { height: 9n, time: BigInt(T0 + 61) },
    );
    const otherBefore = serializeState(other);
    const otherRoot = stateRoot(other);
    const refused = applySpell(
      other,
      spell({ type: "adjustVault", depositCollateral: E18 / 2n }, a.bytes, proof),
      "alice",
      place,
      config,
    );
    expect(refused.ok ? "applied" : refused.reason.code).toBe("proofInvalid");
    expect(serializeState(other)).toEqual(otherBefore);
    expect(stateRoot(other)).toBe(otherRoot);
    const out = applySpell(
      state,
      spell({ type: "adjustVault", depositCollateral: E18 / 2n }, a.bytes, proof),
      "alice",
      place,
      config,
    );
    expect(out.ok && out.proof).toBe("verified");
    expect(stateRoot(state)).toBe(
      result.publicSignals[1] && `0x${BigInt(result.publicSignals[1]).toString(16).padStart(64, "0")}`,
    );
  });

  it("records skipped proofs when verification is off", () => {
    const state = priced();
    const out = applySpell(
      state,
      spell({ type: "adjustVault", depositCollateral: E18 }, attest(PRICE, T0 + 120, 2n).bytes),
      "alice",
      place,
      { ...config, proofs: false },
    );
    expect(out.ok && out.proof).toBe("skipped");
  });
});
