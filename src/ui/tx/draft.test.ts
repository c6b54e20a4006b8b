/**
 * Drafts for every operation, built from Esplora-shaped chain data with real keys and the engine's own
 * events on a real state (vaults opened, a price drop, a liquidation into the pool), checked the way
 * the guardians check them: inputs, outputs and amounts. Also the vault owner's key found in the
 * owner's history (a wrong key refused) and the steps each operation goes through.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hex } from "@scure/base";
import { describe, expect, it } from "vitest";
import type { EsploraTx, EsploraUtxo } from "../../btc/esplora.ts";
import { parsePsbt, type WalletAccount, walletAccount } from "../../btc/psbt.ts";
import { descriptorAddress, poolDescriptor, vaultDescriptor } from "../../btc/scripts.ts";
import { SATOSHI } from "../../protocol/decimal.ts";
import {
  apply,
  cloneState,
  createGenesisState,
  DEFAULT_PARAMS,
  type Operation,
  parseDecimal,
  type State,
} from "../../protocol/index.ts";
import type { WalletCoin } from "../queries/chain.ts";
import { flowCost } from "./cost.ts";
import { type Custody, custodyNeeds, DraftError, draftSupport, makeDraft, NO_CUSTODY } from "./draft.ts";
import { engineEvents, gatherCustody, planSteps, zkOperationOf } from "./flow.ts";
import { type CustodyChain, findOwnerKey, ownerKeyFromTx, VaultOwnerError } from "./vault-coins.ts";

const d = parseDecimal;
const NET = "regtest" as const;
const DAY = 86_400n;

const account = (): { priv: Uint8Array; account: WalletAccount } => {
  const priv = secp256k1.utils.randomSecretKey();
  return { priv, account: walletAccount(secp256k1.getPublicKey(priv, true), "p2wpkh", NET) };
};
const alice = account();
const bob = account();
const carol = account();
const dave = account();
const guardianKeys = [1, 2, 3].map(() => secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true));
const guardianSettings = { urls: [], keys: guardianKeys.map((k) => hex.encode(k)), threshold: 2 };
const guardianSet = { threshold: 2, keys: guardianKeys };
const pool = poolDescriptor(guardianSet);
const vaultOf = (w: WalletAccount) => vaultDescriptor({ owner: w.publicKey, guardians: guardianSet });

let n = 0;
const txid = () => (++n).toString(16).padStart(64, "0");
const utxo = (value: number): EsploraUtxo => ({
  txid: txid(),
  vout: 0,
  value,
  status: { confirmed: true, block_height: 10 },
});
const coin = (value: number): WalletCoin => ({
  txid: txid(),
  vout: 1,
  value: BigInt(value),
  confirmed: true,
});

/** A transaction `w` signed from its address (witness [signature, key]): what Esplora lists for it. */
function signedBy(w: WalletAccount, key = w.publicKey, to?: string): EsploraTx {
  return {
    txid: txid(),
    version: 2,
    locktime: 0,
    vin: [
      {
        txid: txid(),
        vout: 0,
        is_coinbase: false,
        sequence: 0xfffffffd,
        witness: [`30${"11".repeat(70)}01`, hex.encode(key)],
        prevout: {
          scriptpubkey: "",
          scriptpubkey_type: "v0_p2wpkh",
          scriptpubkey_address: w.address,
          value: 1e8,
        },
      },
    ],
    vout: to
      ? [{ scriptpubkey: "", scriptpubkey_type: "v0_p2wsh", scriptpubkey_address: to, value: 5e7 }]
      : [],
    size: 200,
    weight: 800,
    status: { confirmed: true, block_height: 5 },
  };
}

/** Esplora answers from maps (what the devnet's /address endpoints return). */
function chainOf(history: Record<string, EsploraTx[]>, utxos: Record<string, EsploraUtxo[]>): CustodyChain {
  return {
    addressTxs: async (a) => history[a] ?? [],
    addressUtxos: async (a) => utxos[a] ?? [],
  };
}

/**
 * A state with three vaults and a stability-pool deposit; `dropped` also has the price at 55,000 and
 * Carol's vault liquidated into the pool (Bob has gains), 15 days after genesis (redemptions allowed).
 */
function states() {
  const s = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n, height: 0n });
  let h = 0n;
  const run = (st: State, op: Operation, time = 0n) => {
    const r = apply(st, op, { height: ++h, time });
    if (!r.ok) throw new Error(`${op.type}: ${r.error.code}`);
  };
  const a = alice.account.address;
  const b = bob.account.address;
  const c = carol.account.address;
  run(s, { type: "openVault", owner: a, collateral: d("1"), borrow: d("20000") });
  run(s, { type: "openVault", owner: b, collateral: d("1"), borrow: d("20000") });
  run(s, { type: "openVault", owner: c, collateral: d("0.3"), borrow: d("16000") });
  run(s, { type: "poolDeposit", owner: b, amount: d("10000") });
  run(s, { type: "openVault", owner: dave.account.address, collateral: d("0.5"), borrow: d("2000") });
  run(s, { type: "transfer", from: a, to: dave.account.address, amount: d("500") });
  const opened = cloneState(s);
  run(s, { type: "setPrice", price: d("55000") }, 15n * DAY);
  const dropped = cloneState(s);
  run(s, { type: "liquidate", owner: c, liquidator: a }, 15n * DAY);
  return { opened, dropped, liquidated: s };
}
const { opened, dropped, liquidated } = states();

const walletCoins = [coin(30_000_000), coin(2_000_000)];
const vaultAddr = (w: WalletAccount) => descriptorAddress(vaultOf(w), NET);
const chain = chainOf(
  {
    [alice.account.address]: [signedBy(alice.account, alice.account.publicKey, vaultAddr(alice.account))],
    [bob.account.address]: [signedBy(bob.account)],
    [dave.account.address]: [signedBy(dave.account)],
    [carol.account.address]: [signedBy(carol.account, carol.account.publicKey, vaultAddr(carol.account))],
  },
  {
    [vaultAddr(alice.account)]: [utxo(100_000_000)],
    [vaultAddr(bob.account)]: [utxo(60_000_000), utxo(40_000_000)],
    [vaultAddr(carol.account)]: [utxo(30_000_000)],
    [vaultAddr(dave.account)]: [utxo(30_000_000), utxo(20_000_000)],
    [descriptorAddress(pool, NET)]: [utxo(29_850_000)],
  },
);

/** The draft of `op` by `who` on `state`, with custody coins found as the app finds them. */
async function draftOf(state: State, op: Operation, who: WalletAccount, time = state.g.time) {
  const events = engineEvents(state, op, time);
  if (!events.ok) throw new Error(events.message);
  const custody: Custody = await gatherCustody(op, events.events, {
    esplora: chain,
    network: NET,
    guardians: guardianSettings,
    account: who,
  });
  const draft = makeDraft({
    op,
    network: NET,
    wallet: who,
    coins: walletCoins,
    feeRate: 2,
    guardians: guardianSettings,
    events: events.events,
    custody,
  });
  return { draft, events: events.events, custody };
}

const kinds = (draft: Awaited<ReturnType<typeof draftOf>>["draft"]) => ({
  inputs: draft.summary.inputs.map((i) => i.kind),
  outputs: draft.summary.outputs.map((o) => `${o.kind}:${o.amount}`),
});

describe("vault owner's key from the chain", () => {
  it("reads the key from a transaction the owner signed and checks it hashes to the address", async () => {
    const tx = signedBy(carol.account);
    expect(hex.encode(ownerKeyFromTx(tx, carol.account.address, NET)!)).toBe(
      hex.encode(carol.account.publicKey),
    );
    expect(ownerKeyFromTx(tx, alice.account.address, NET)).toBeNull(); // not Alice's input
    expect(hex.encode(await findOwnerKey(chain, carol.account.address, NET))).toBe(
      hex.encode(carol.account.publicKey),
    );
  });

  it("refuses a key that does not belong to the owner's address", async () => {
    const forged = signedBy(carol.account, bob.account.publicKey);
    expect(() => ownerKeyFromTx(forged, carol.account.address, NET)).toThrow(VaultOwnerError);
    const lying = chainOf({ [carol.account.address]: [forged] }, {});
    await expect(findOwnerKey(lying, carol.account.address, NET)).rejects.toThrow(/does not belong/);
  });

  it("says plainly when the owner never signed anything on chain", async () => {
    await expect(findOwnerKey(chainOf({}, {}), carol.account.address, NET)).rejects.toThrow(
      /No transaction signed by/,
    );
  });
});

describe("drafts for every operation", () => {
  const a = alice.account;

  it("open: the wallet funds the vault output with the collateral", async () => {
    const op: Operation = { type: "openVault", owner: a.address, collateral: d("0.25"), borrow: d("5000") };
    const { draft } = await draftOf(createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n }), op, a);
    expect(kinds(draft).inputs.every((k) => k === "wallet")).toBe(true);
    expect(kinds(draft).outputs[0]).toBe("vault:25000000");
    expect(draft.summary.spell?.op.type).toBe("openVault");
    // The spell names its vault output and carries the wallet's key as the owner key (SPEC §2a).
    expect(draft.spell.op).toMatchObject({ vaultOutput: 0, ownerKey: a.publicKey });
    expect(draft.built.guardianInputs).toEqual([]);
  });

  it("the review's cost bound covers the final transactions, attestation and proof attached", async () => {
    const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n });
    const op: Operation = { type: "openVault", owner: a.address, collateral: d("0.25"), borrow: d("5000") };
    const { draft, events, custody } = await draftOf(state, op, a);
    const input = {
      op,
      network: NET,
      wallet: a,
      coins: walletCoins,
      feeRate: 2,
      guardians: guardianSettings,
      events,
      custody,
    };
    const cost = flowCost(input, { priceUpdate: true, price: d("97000"), members: 3, attested: true });
    expect(cost.lines.map((l) => l.id)).toEqual(["price", "operation"]);
    expect(cost.total).toBe(cost.lines[0]!.fee + cost.lines[1]!.fee);
    // The final open carries a 2-of-3 attestation (159 bytes) and the proof: more than the review's
    // draft without them, never more than the bound.
    const final = makeDraft({ ...input, attestation: new Uint8Array(159).fill(1) });
    expect(final.built.fee).toBeGreaterThan(draft.built.fee);
    expect(final.built.fee).toBeLessThanOrEqual(cost.lines[1]!.fee);
    expect(cost.lines[1]!.fee - final.built.fee).toBeLessThanOrEqual(2n * 64n + 2n); // one more signature at most
    // Without a price update, one line.
    expect(flowCost(input, { priceUpdate: false, price: 0n, members: 3, attested: true }).lines).toHaveLength(
      1,
    );
  });

  it("deposit, mint, repay: a deposit funds the vault; mint and repay are ledger spells", async () => {
    const deposit = await draftOf(
      opened,
      { type: "adjustVault", owner: a.address, depositCollateral: d("0.1") },
      a,
    );
    expect(kinds(deposit.draft).outputs[0]).toBe("vault:10000000");
    expect(deposit.draft.spell.op).toMatchObject({ vaultOutput: 0 });
    expect(deposit.draft.built.guardianInputs).toEqual([]); // a new coin: no vault input, no guardian
    for (const op of [
      { type: "adjustVault", owner: a.address, borrow: d("1000") },
      { type: "adjustVault", owner: a.address, repay: d("1000") },
    ] as Operation[]) {
      const { draft } = await draftOf(opened, op, a);
      expect(kinds(draft).inputs.every((k) => k === "wallet")).toBe(true);
      expect(kinds(draft).outputs.filter((o) => !o.startsWith("change") && !o.startsWith("spell"))).toEqual(
        [],
      );
    }
  });

  it("withdraw: the own vault's coin pays the engine's amount, the rest goes back to the vault", async () => {
    const op: Operation = { type: "adjustVault", owner: a.address, withdrawCollateral: d("0.2") };
    const { draft, custody } = await draftOf(opened, op, a);
    expect(custody.vaults.map((v) => v.owner)).toEqual([a.address]);
    expect(kinds(draft).inputs).toEqual(["wallet", "vault"]);
    const out = draft.summary.outputs;
    expect(out.find((o) => o.kind === "payout")?.amount).toBe(20_000_000n);
    expect(out.find((o) => o.kind === "vault")?.amount).toBe(80_000_000n);
    expect(draft.built.guardianInputs).toEqual([1]);
  });

  it("close: every vault coin goes back to the owner", async () => {
    const b = dave.account;
    const { draft } = await draftOf(opened, { type: "closeVault", owner: b.address }, b);
    expect(kinds(draft).inputs).toEqual(["wallet", "vault", "vault"]);
    expect(draft.summary.outputs.find((o) => o.kind === "payout")?.amount).toBe(50_000_000n);
  });

  it("liquidate: another owner's vault coins pay the liquidator's compensation and the rest goes to the pool", async () => {
    const op: Operation = { type: "liquidate", owner: carol.account.address, liquidator: a.address };
    const { draft, events } = await draftOf(dropped, op, a);
    const liq = events.find((e) => e.type === "Liquidation") as Extract<
      (typeof events)[number],
      { type: "Liquidation" }
    >;
    expect(liq.paidSats).toBeGreaterThan(0n);
    expect(kinds(draft).inputs).toEqual(["wallet", "vault"]);
    expect(draft.summary.outputs.find((o) => o.kind === "payout")?.amount).toBe(liq.paidSats);
    expect(draft.summary.outputs.find((o) => o.kind === "pool")?.amount).toBe(30_000_000n - liq.paidSats);
    expect(draft.summary.spell?.op).toEqual({ type: "liquidate", owner: carol.account.address });
  });

  it("claim gains and pool withdraw: the pool pays the engine's gains; a deposit without gains is a ledger spell", async () => {
    const b = bob.account;
    const claim = await draftOf(liquidated, { type: "claimGains", owner: b.address }, b);
    const gained = claim.events.find((e) => e.type === "GainsClaimed") as { paidSats: bigint };
    expect(gained.paidSats).toBeGreaterThan(0n);
    expect(kinds(claim.draft).inputs).toEqual(["wallet", "pool"]);
    expect(claim.draft.summary.outputs.find((o) => o.kind === "payout")?.amount).toBe(gained.paidSats);
    expect(claim.draft.summary.outputs.find((o) => o.kind === "pool")?.amount).toBe(
      29_850_000n - gained.paidSats,
    );
    const withdraw = await draftOf(
      liquidated,
      { type: "poolWithdraw", owner: b.address, amount: d("100") },
      b,
    );
    expect(kinds(withdraw.draft).inputs).toEqual(["wallet", "pool"]);
    const deposit = await draftOf(opened, { type: "poolDeposit", owner: a.address, amount: d("100") }, a);
    expect(kinds(deposit.draft).inputs.every((k) => k === "wallet")).toBe(true);
  });

  it("redeem: the riskiest vault's coins pay the redeemer net of the fee, the fee goes to the pool, the rest rolls back to that vault", async () => {
    const op: Operation = { type: "redeem", redeemer: a.address, amount: d("1000"), maxFee: d("0.05") };
    const { draft, events } = await draftOf(liquidated, op, a);
    const redeemed = events.filter((e) => e.type === "VaultRedeemed") as {
      owner: string;
      collateral: bigint;
      closed: boolean;
    }[];
    expect(redeemed.length).toBeGreaterThan(0);
    expect(redeemed.every((r) => !r.closed)).toBe(true);
    const drawn = redeemed.reduce((s, r) => s + r.collateral / SATOSHI, 0n);
    const total = events.find((e) => e.type === "Redeemed") as { paidSats: bigint };
    // The redeemer gets the engine's paidSats; the fee (and rounding) goes to the guardian pool.
    expect(total.paidSats).toBeLessThan(drawn);
    expect(draft.summary.outputs[0]).toMatchObject({ kind: "payout", amount: total.paidSats });
    expect(draft.summary.outputs.find((o) => o.kind === "pool")?.amount).toBe(drawn - total.paidSats);
    expect(draft.built.guardianInputs.length).toBeGreaterThan(0);
  });

  it("transfer and governance operations are ledger spells from the wallet", async () => {
    for (const op of [
      { type: "transfer", from: a.address, to: bob.account.address, amount: d("10") },
      { type: "delegate", delegator: a.address, delegatee: bob.account.address },
      { type: "undelegate", delegator: a.address },
    ] as Operation[]) {
      const events = engineEvents(opened, op, opened.g.time);
      const { draft } = {
        draft: makeDraft({
          op,
          network: NET,
          wallet: a,
          coins: walletCoins,
          feeRate: 2,
          guardians: guardianSettings,
          events: events.ok ? events.events : [],
          custody: NO_CUSTODY,
        }),
      };
      expect(draft.summary.spell?.op.type).toBe(op.type);
      expect(kinds(draft).inputs.every((k) => k === "wallet")).toBe(true);
    }
  });

  it("refuses what cannot be sent, in words", async () => {
    expect(draftSupport({ type: "setBaseRate", value: 1n }).ok).toBe(false);
    expect(() =>
      makeDraft({
        op: { type: "openVault", owner: a.address, collateral: d("0.25"), borrow: d("5000") },
        network: NET,
        wallet: a,
        coins: [coin(1_000)],
        feeRate: 2,
        guardians: guardianSettings,
        events: [],
        custody: NO_CUSTODY,
      }),
    ).toThrow(DraftError);
    // A withdrawal from a vault whose coins are not at the federation's address.
    const empty = chainOf({}, {});
    const op: Operation = { type: "adjustVault", owner: a.address, withdrawCollateral: d("0.2") };
    const events = engineEvents(opened, op, opened.g.time);
    if (!events.ok) throw new Error(events.message);
    await expect(
      gatherCustody(op, events.events, {
        esplora: empty,
        network: NET,
        guardians: guardianSettings,
        account: a,
      }),
    ).rejects.toThrow(/holds no coins on chain/);
  });
});

describe("steps per operation", () => {
  const a = alice.account.address;
  const ids = (op: Operation, custody: boolean) => planSteps(op, custody).map((s) => s.id);

  it("priced operations get an attestation and a price update; vault changes a proof; custody spends co-signatures", () => {
    expect(ids({ type: "openVault", owner: a, collateral: d("1"), borrow: d("5000") }, false)).toEqual([
      "attestation",
      "price",
      "proof",
      "build",
      "sign",
      "broadcast",
      "confirm",
    ]);
    expect(ids({ type: "adjustVault", owner: a, borrow: d("100") }, false)).toEqual([
      "attestation",
      "price",
      "proof",
      "build",
      "sign",
      "broadcast",
      "confirm",
    ]);
    expect(ids({ type: "adjustVault", owner: a, withdrawCollateral: d("0.1") }, true)).toContain("cosign");
    // liquidation has no circuit (docs/zk.md)
    expect(ids({ type: "liquidate", owner: a, liquidator: a }, true)).toEqual([
      "attestation",
      "price",
      "build",
      "sign",
      "cosign",
      "broadcast",
      "confirm",
    ]);
    // A close carries a fresh attestation (the guardians release BTC only with one) but the chain does
    // not value it: no price update. Its proof is the vault circuit's.
    expect(ids({ type: "closeVault", owner: a }, true)).toEqual([
      "attestation",
      "proof",
      "build",
      "sign",
      "cosign",
      "broadcast",
      "confirm",
    ]);
    expect(ids({ type: "claimGains", owner: a }, true)).toEqual([
      "build",
      "sign",
      "cosign",
      "broadcast",
      "confirm",
    ]);
    expect(ids({ type: "vote", voter: a, proposalId: 1n, support: "for" }, false)).toEqual([
      "build",
      "sign",
      "broadcast",
      "confirm",
    ]);
  });

  it("every change an owner makes to their own vault is proven as it is; other operations are not", () => {
    for (const op of [
      { type: "adjustVault", owner: a, borrow: d("100"), maxFee: d("0.05") },
      { type: "adjustVault", owner: a, borrow: d("100"), depositCollateral: d("1") },
      { type: "openVault", owner: a, collateral: d("1"), borrow: d("2000") },
      { type: "closeVault", owner: a },
    ] as const) {
      expect(zkOperationOf(op)).toEqual(op);
    }
    expect(zkOperationOf({ type: "liquidate", owner: a, liquidator: a })).toBeNull();
    expect(zkOperationOf({ type: "poolDeposit", owner: a, amount: d("1") })).toBeNull();
    expect(custodyNeeds({ type: "closeVault", owner: a }, [])).toEqual({ owners: [a], pool: false });
  });
});

// Keep the parse helper referenced: a built PSBT parses back with the project's options.
it("drafts are valid PSBTs", async () => {
  const { draft } = await draftOf(
    opened,
    { type: "adjustVault", owner: alice.account.address, borrow: d("100") },
    alice.account,
  );
  expect(parsePsbt(draft.built.psbt).id).toMatch(/^[0-9a-f]{64}$/);
});
