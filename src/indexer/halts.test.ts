/**
 * Regression (issue 14): the two spells that stopped every client and guardian. An adjustVault whose
 * borrow is the BN254 field modulus made operationHash throw before apply; an approve of 2^256 − 1 was
 * accepted by the engine and then the state root threw. Through the real Indexer over an in-memory
 * chain (test/indexer/memoryChain.ts), both are now rejected with a typed reason, the spells after them
 * apply, and the state root equals a clean replay of the accepted operations.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "../../test/indexer/chain.ts";
import { MemoryChain } from "../../test/indexer/memoryChain.ts";
import { encodeSpell, type SpellOperation } from "../btc/index.ts";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  deserializeCustody,
  deserializeState,
  FIELD_MODULUS,
  initPoseidon,
  MAX_AMOUNT,
  type Operation,
  type State,
  serializeCustody,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import { getAllowance } from "../protocol/state.ts";
import { MemoryStore } from "../storage/index.ts";
import { nodeArtifacts } from "../zk/node.ts";
import { Indexer } from "./indexer.ts";
import { loadVerificationKeys } from "./verificationKeys.ts";
import { applySpell, type VerifierConfig } from "./verify.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const MAGIC = [0x7a, 0x6b, 0x55, 0x53, 0x44, 0x01];
let verifier: VerifierConfig;

const leb = (value: bigint): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    out.push(Number(v & 0x7fn) | (v >> 7n ? 0x80 : 0));
    v >>= 7n;
  } while (v);
  return out;
};
const alice = MemoryChain.address("alice");
const bob = MemoryChain.address("bob");
/** An open that travels with its BTC (docs/decisions.md §2a): output 0 pays the vault script of the actor's key. */
const open = (name: string, att: Uint8Array) => ({
  actor: name,
  pay: [{ script: testVaultScript(MemoryChain.key(name)), sats: E18 / 10n ** 10n }],
  payload: cast(
    {
      type: "openVault",
      collateral: E18,
      borrow: 3_000n * E18,
      ownerKey: MemoryChain.key(name),
      vaultOutput: 0,
    },
    att,
  ),
});
const cast = (
  op: SpellOperation,
  attestation: Uint8Array = new Uint8Array(0),
  proof: Uint8Array = new Uint8Array(128),
) => encodeSpell({ version: 1, op, attestation, proof });

beforeAll(async () => {
  await initPoseidon();
  verifier = {
    proofs: true,
    oracleKeys: ORACLE_KEYS,
    verificationKeys: await loadVerificationKeys(nodeArtifacts()),
  };
});

/** An indexer over `chain` from block 101, synced to its tip. */
async function synced(chain: MemoryChain) {
  const store = new MemoryStore();
  const indexer = await Indexer.open({
    store,
    chain,
    startHeight: 101,
    params: { ...DEFAULT_PARAMS },
    // the opens carry no proof (no prover here): proofs are checked in verify.test.ts
    verifier: { ...verifier, proofs: false },
    custody: TEST_CUSTODY,
  });
  await indexer.sync();
  return { store, indexer };
}

/** adjustVault (0x11), flags = borrow only, borrow = the field modulus, attested, non-zero proof slot. */
const fieldBorrow = () => {
  const att = attest(PRICE, T0 + 1500, 3n).bytes;
  return Uint8Array.from([
    ...MAGIC,
    0x11,
    0b00100,
    ...leb(FIELD_MODULUS),
    ...leb(BigInt(att.length)),
    ...att,
    ...new Array(128).fill(1),
  ]);
};
/** approve (0x21) of 2^256 − 1 to "bob": an honest wallet's "unlimited approval". */
const hugeApproval = () =>
  Uint8Array.from([
    ...MAGIC,
    0x21,
    3,
    0x62,
    0x6f,
    0x62,
    ...leb(2n ** 256n - 1n),
    0,
    ...new Array(128).fill(0),
  ]);

describe("spells that used to halt the indexer", () => {
  it.each([
    ["an adjustVault whose borrow is the field modulus (operationHash threw)", fieldBorrow],
    ["an approve of 2^256 − 1 (the state root threw)", hugeApproval],
  ])(
    "%s is rejected with a typed reason; the indexer moves on and its root equals a clean replay",
    async (_, bad) => {
      const chain = new MemoryChain(100, T0);
      const priceAtt = attest(PRICE, T0 + 300, 1n).bytes;
      const vaultAtt = attest(PRICE, T0 + 900, 2n).bytes;
      chain.mine([
        { actor: "alice", payload: cast({ type: "setPrice", price: PRICE }, priceAtt) },
        open("alice", vaultAtt),
        open("bob", vaultAtt),
      ]);
      chain.mine([
        { actor: "alice", payload: bad() },
        { actor: "alice", payload: cast({ type: "transfer", to: "carol", amount: 5n * E18 }) },
      ]);
      chain.mine([{ actor: "bob", payload: cast({ type: "transfer", to: "carol", amount: E18 }) }]);

      const { store, indexer } = await synced(chain);
      expect(indexer.head.height).toBe(chain.height);
      const rejected = await store.rejected();
      expect(rejected.map((r) => [r.height, r.opType, r.reason.code, r.reason.detail])).toEqual([
        [102, null, "malformedSpell", "amountTooLarge"],
      ]);

      // A clean replay: the engine applied directly to the accepted operations at their declared times.
      const spells = await store.spells();
      const ops: Operation[] = [
        { type: "setPrice", price: PRICE },
        { type: "openVault", owner: alice, collateral: E18, borrow: 3_000n * E18 },
        { type: "openVault", owner: bob, collateral: E18, borrow: 3_000n * E18 },
        { type: "transfer", from: alice, to: "carol", amount: 5n * E18 },
        { type: "transfer", from: bob, to: "carol", amount: E18 },
      ];
      expect(spells.map((s) => s.op.type)).toEqual(ops.map((op) => op.type));
      const replay = createGenesisState(
        { ...DEFAULT_PARAMS },
        {
          time: BigInt(T0),
          height: 100n,
          governance: {
            guardians: { ...TEST_CUSTODY.guardians, threshold: BigInt(TEST_CUSTODY.guardians.threshold) },
          },
        },
      );
      ops.forEach((op, i) => {
        const r = apply(replay, op, { height: BigInt(spells[i]!.height), time: BigInt(spells[i]!.time) });
        expect(r.ok).toBe(true);
      });
      // The custody records (the two vault coins) come from Bitcoin, not from the engine's replay.
      replay.custody = deserializeCustody(serializeCustody(indexer.state.custody));
      expect(replay.custody.coins.size).toBe(2);
      expect(indexer.head.root).toBe(stateRoot(replay));
    },
  );
});

describe("unlimited approval end to end", () => {
  it("an approve of MAX_AMOUNT encodes, indexes, never goes down and hashes into the root", async () => {
    const chain = new MemoryChain(100, T0);
    const att = attest(PRICE, T0 + 300, 1n).bytes;
    chain.mine([
      { actor: "alice", payload: cast({ type: "setPrice", price: PRICE }, att) },
      open("alice", att),
      { actor: "alice", payload: cast({ type: "approve", spender: bob, amount: MAX_AMOUNT }) },
    ]);
    const pull = cast({ type: "transferFrom", from: alice, to: "carol", amount: 100n * E18 });
    chain.mine([
      { actor: "bob", payload: pull },
      { actor: "bob", payload: pull },
    ]);
    const { store, indexer } = await synced(chain);
    expect(await store.rejected()).toEqual([]);
    expect(getAllowance(indexer.state, alice, bob)).toBe(MAX_AMOUNT);
    expect(indexer.state.accounts.get("carol")?.balance).toBe(200n * E18);
    expect(indexer.head.root).toBe(stateRoot(deserializeState(serializeState(indexer.state))));
  });
});

describe("the total rule: whatever a spell's check throws is its rejection", () => {
  const place = { height: 101, position: 0, txid: "ab".repeat(32), blockTime: T0 + 3600 };
  const spell = (
    op: SpellOperation,
    attestation: Uint8Array = new Uint8Array(0),
    proof: Uint8Array = new Uint8Array(128),
  ) => ({
    version: 1,
    op,
    attestation,
    proof,
  });
  function priced(): State {
    const s = createGenesisState({ ...DEFAULT_PARAMS }, { time: BigInt(T0), height: 100n });
    for (const op of [
      { type: "setPrice", price: PRICE },
      { type: "openVault", owner: "alice", collateral: E18, borrow: 3_000n * E18 },
    ] as const) {
      const r = apply(s, op, { height: 100n, time: BigInt(T0 + 60) });
      if (!r.ok) throw r.error;
    }
    return s;
  }
  /** Applies, and checks that a rejection left the state and its root exactly as they were. */
  function rejectedCleanly(state: State, out: ReturnType<typeof applySpell>, before: unknown, root: string) {
    expect(serializeState(state)).toEqual(before);
    expect(stateRoot(state)).toBe(root);
    expect(stateRoot(deserializeState(serializeState(state)))).toBe(root);
    return out.ok ? "applied" : out.reason.code;
  }

  it("an unbounded spell object reaches no hash: the engine's bounds refuse it first (ruleViolated, amountTooLarge)", () => {
    const state = priced();
    const [before, root] = [serializeState(state), stateRoot(state)];
    const out = applySpell(
      state,
      spell(
        { type: "adjustVault", borrow: FIELD_MODULUS },
        attest(PRICE, T0 + 120, 2n).bytes,
        new Uint8Array(128).fill(1),
      ),
      "alice",
      place,
      verifier,
    );
    // (before issue 16 the operation hash threw on it before the engine ran: internalError)
    expect(rejectedCleanly(state, out, before, root)).toBe("ruleViolated");
    expect(!out.ok && out.reason.detail).toBe("amountTooLarge");
  });

  it("a new state the root cannot hash is rolled back and rejected as internalError", () => {
    const state = priced();
    // A balance one transfer away from the field modulus: the transfer applies, its root throws.
    const s = state;
    const r = apply(
      s,
      { type: "transfer", from: "alice", to: "carol", amount: E18 },
      { height: 100n, time: BigInt(T0 + 60) },
    );
    expect(r.ok).toBe(true);
    s.accounts.get("carol")!.balance = FIELD_MODULUS - 1n;
    s.root.dirtyAccounts.add(s.accounts.get("carol")!.index);
    const [before, root] = [serializeState(state), stateRoot(state)];
    const out = applySpell(state, spell({ type: "transfer", to: "carol", amount: E18 }), "alice", place, {
      ...verifier,
      proofs: false,
    });
    expect(rejectedCleanly(state, out, before, root)).toBe("internalError");
  });

  it("an exception from any check (here the oracle key set) is internalError, never a throw", () => {
    const state = priced();
    const [before, root] = [serializeState(state), stateRoot(state)];
    const broken = {
      ...verifier,
      oracleKeys: {
        get keys(): never {
          throw new Error("boom");
        },
        threshold: 2,
      },
    } as VerifierConfig;
    const out = applySpell(
      state,
      spell({ type: "redeem", amount: E18 }, attest(PRICE, T0 + 120, 2n).bytes),
      "alice",
      place,
      broken,
    );
    expect(rejectedCleanly(state, out, before, root)).toBe("internalError");
    expect(!out.ok && out.reason.message).toMatch(/boom/);
  });
});
