import { beforeAll, describe, expect, it } from "vitest";
import { attest, E18, ORACLE_KEYS } from "../../test/indexer/chain.ts";
import { fromOperation, type Spell, type SpellOperation } from "../btc/index.ts";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import {
  compressProof,
  proofFromJson,
  prove,
  recordHash,
  vaultRecord,
  withDeclaredFee,
  type ZkOperation,
} from "../zk/index.ts";
import { nodeArtifacts, proveSpell, terminateProver } from "../zk/node.ts";
import { loadVerificationKeys } from "./verificationKeys.ts";
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
  it("maps every change an owner makes to their own vault to the vault circuit, nothing else", () => {
    for (const op of [
      { type: "adjustVault", owner: "a", depositCollateral: 5n },
      { type: "adjustVault", owner: "a", borrow: 5n, depositCollateral: 1n },
      { type: "openVault", owner: "a", collateral: 1n, borrow: 1n },
      { type: "closeVault", owner: "a" },
    ] as const) {
      expect(circuitOf(op)).toEqual({ circuit: "vault" });
    }
    expect(circuitOf({ type: "liquidate", owner: "a", liquidator: "b" })).toBeNull();
    expect(circuitOf({ type: "transfer", from: "a", to: "b", amount: 1n })).toBeNull();
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

  /** Alice's proof of `op` on `state` (the fee declared as quoted), and the spell that carries it. */
  async function proven(state: State, op: ZkOperation, a = attest(PRICE, T0 + 180, 3n)) {
    const ctx = { time: a.statement.timestamp, attestation: a.statement };
    const declared = withDeclaredFee(op, state, ctx);
    const result = await prove(declared, state, ctx, artifacts);
    const { op: spellOp } = fromOperation(declared);
    return { spell: spell(spellOp, a.bytes, compressProof(proofFromJson(result.proof))), result };
  }

  const bobOpens = (s: State) =>
    applySpell(
      s,
      spell({ type: "openVault", collateral: E18, borrow: 2_500n * E18 }, attest(PRICE, T0 + 120, 2n).bytes),
      "bob",
      place,
      { ...config, proofs: false },
    );

  it("applies a vault proof after other users' spells confirmed first (a third party's vault, a transfer), and refuses it after a change to the same vault", async () => {
    const state = priced();
    const { spell: deposit, result } = await proven(state, {
      type: "adjustVault",
      owner: "alice",
      depositCollateral: E18 / 2n,
      borrow: 500n * E18,
      maxFee: E18 / 20n,
    });
    await terminateProver();
    // other users act between proving and confirmation: the state root moves, the proof still holds
    const later = priced();
    const rootBefore = stateRoot(later);
    expect(bobOpens(later).ok).toBe(true);
    expect(
      apply(
        later,
        { type: "transfer", from: "alice", to: "carol", amount: E18 },
        { height: 9n, time: BigInt(T0 + 150) },
      ).ok,
    ).toBe(true);
    expect(stateRoot(later)).not.toBe(rootBefore);
    const out = applySpell(later, deposit, "alice", place, config);
    expect(out.ok && out.proof).toBe("verified");
    expect(recordHash(vaultRecord(later, "alice")).toString()).toBe(result.publicSignals[1]);

    // a change to alice's own vault first: the proof's record before is no longer hers
    const changed = priced();
    expect(
      apply(
        changed,
        { type: "adjustVault", owner: "alice", depositCollateral: 10n ** 10n },
        { height: 9n, time: BigInt(T0 + 90) },
      ).ok,
    ).toBe(true);
    const before = serializeState(changed);
    const root = stateRoot(changed);
    const refused = applySpell(changed, deposit, "alice", place, config);
    expect(refused.ok ? "applied" : refused.reason.code).toBe("proofInvalid");
    expect(serializeState(changed)).toEqual(before);
    expect(stateRoot(changed)).toBe(root);

    // the same spell and proof on the state it was made for
    const same = priced();
    const mine = applySpell(same, deposit, "alice", place, config);
    expect(mine.ok && mine.proof).toBe("verified");
  });

  it("refuses a proof whose operation differs from the spell's, and a borrowing spell without its declared fee", async () => {
    const state = priced();
    const { spell: borrow } = await proven(state, {
      type: "adjustVault",
      owner: "alice",
      borrow: 500n * E18,
    });
    await terminateProver();
    const op = borrow.op as Extract<SpellOperation, { type: "adjustVault" }>;
    // the same spell plus a one-satoshi deposit: the engine accepts it, the proof is not for it
    const other = { ...borrow, op: { ...op, depositCollateral: 10n ** 10n } };
    const out = applySpell(priced(), other, "alice", place, config);
    expect(out.ok ? "applied" : out.reason.code).toBe("proofInvalid");
    const { fee: _fee, ...undeclared } = op;
    const out2 = applySpell(priced(), { ...borrow, op: undeclared }, "alice", place, config);
    expect(out2.ok ? "applied" : out2.reason.message).toMatch(/declares its fee/);
    expect(applySpell(priced(), borrow, "alice", place, config).ok).toBe(true);
  });

  /**
   * priced() plus bob's vault, and alice holding enough zkUSD to close hers (the last-vault rule and
   * her fee otherwise refuse the close): every vault operation below is one the engine accepts.
   */
  function twoVaults(): State {
    const s = priced();
    expect(bobOpens(s).ok).toBe(true);
    const ctx = { height: 9n, time: BigInt(T0 + 150) };
    expect(apply(s, { type: "transfer", from: "bob", to: "alice", amount: 100n * E18 }, ctx).ok).toBe(true);
    return s;
  }

  it("refuses every vault operation whose proof slot is all zeros (proofMissing): an open, a close, a combined adjustment, though the engine would accept each", () => {
    const a = attest(PRICE, T0 + 180, 3n).bytes;
    const cases: [string, Spell][] = [
      ["carol", spell({ type: "openVault", collateral: E18, borrow: 2_500n * E18, maxFee: E18 / 20n }, a)],
      ["alice", spell({ type: "closeVault" })],
      ["alice", spell({ type: "adjustVault", depositCollateral: 10n ** 10n, borrow: 100n * E18 }, a)],
      ["alice", spell({ type: "adjustVault", withdrawCollateral: E18 / 100n, repay: 100n * E18 }, a)],
    ];
    for (const [actor, s] of cases) {
      // without proof verification the engine applies it: the refusal below is the missing proof's
      expect(applySpell(twoVaults(), s, actor, place, { ...config, proofs: false }).ok, s.op.type).toBe(true);
      const state = twoVaults();
      const before = serializeState(state);
      const out = applySpell(state, s, actor, place, config);
      expect(out.ok ? `applied (${out.proof})` : out.reason.code, s.op.type).toBe("proofMissing");
      expect(serializeState(state)).toEqual(before);
    }
  });

  it("proveSpell (the harnesses' prover) gives an open, a combined adjustment and a close the proof the indexer verifies", async () => {
    const a = attest(PRICE, T0 + 180, 3n).bytes;
    const cases: [string, Spell][] = [
      ["carol", spell({ type: "openVault", collateral: E18, borrow: 2_500n * E18, maxFee: E18 / 20n }, a)],
      ["alice", spell({ type: "adjustVault", depositCollateral: 10n ** 10n, borrow: 100n * E18 }, a)],
      ["alice", spell({ type: "closeVault" })],
    ];
    for (const [actor, s] of cases) {
      const state = twoVaults();
      const proven = await proveSpell(s, actor, state, artifacts);
      const out = applySpell(state, proven, actor, place, config);
      expect(out.ok ? out.proof : out.reason.message, s.op.type).toBe("verified");
    }
    await terminateProver();
  });

  it("checks a proof an open carries: a bad one is refused, a good one verified, none at all is proofMissing", async () => {
    const state = priced();
    const open = { type: "openVault", owner: "bob", collateral: E18, borrow: 2_500n * E18 } as const;
    const { spell: openSpell } = await proven(state, open);
    await terminateProver();
    // A and C swapped: well-formed points, not the proof
    const swapped = new Uint8Array(128);
    swapped.set(openSpell.proof.subarray(96, 128), 0);
    swapped.set(openSpell.proof.subarray(32, 96), 32);
    swapped.set(openSpell.proof.subarray(0, 32), 96);
    const out = applySpell(priced(), { ...openSpell, proof: swapped }, "bob", place, config);
    expect(out.ok ? "applied" : out.reason.code).toBe("proofInvalid");
    const ok = applySpell(priced(), openSpell, "bob", place, config);
    expect(ok.ok && ok.proof).toBe("verified");
    const unproven = applySpell(priced(), { ...openSpell, proof: new Uint8Array(128) }, "bob", place, config);
    expect(unproven.ok ? "applied" : unproven.reason.code).toBe("proofMissing");
    const deposit = spell({ type: "adjustVault", depositCollateral: E18 }, attest(PRICE, T0 + 120, 2n).bytes);
    const missing = applySpell(priced(), deposit, "alice", place, config);
    expect(missing.ok ? "applied" : missing.reason.code).toBe("proofMissing");
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
