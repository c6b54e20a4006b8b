/**
 * Drafts for every operation, built from Esplora-shaped chain data with real keys and the engine's own
 * events on a real state (vaults opened, a price drop, a liquidation into the pool), checked the way
 * the guardians check them: inputs, outputs and amounts. Also the vault owner's key found in the
 * owner's history (a wrong key refused) and the steps each operation goes through.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hex } from "@scure/base";
import { p2pkh } from "@scure/btc-signer";
import { describe, expect, it } from "vitest";
import type { EsploraTx, EsploraUtxo } from "../../btc/esplora.ts";
import { addressToScript, networkParams } from "../../btc/network.ts";
import { parsePsbt, type WalletAccount, walletAccount } from "../../btc/psbt.ts";
import { descriptorAddress, poolDescriptor, vaultDescriptor } from "../../btc/scripts.ts";
import {
  apply,
  cloneState,
  createGenesisState,
  DEFAULT_PARAMS,
  type Operation,
  parseDecimal,
  type State,
} from "../../protocol/index.ts";
import type { WalletCoin } from "../chain-reads.ts";
import { flowCost } from "./cost.ts";
import { DraftError, draftSupport, makeDraft, payoutSats } from "./draft.ts";
import { engineEvents, planSteps, zkOperationOf } from "./flow.ts";
import { canNamePayout, payoutAddress } from "./payout.ts";
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

/** The draft of `op` by `who` on `state` (its payouts sent to `payTo` when given). */
async function draftOf(state: State, op: Operation, who: WalletAccount, time = state.g.time, payTo?: string) {
  const events = engineEvents(state, op, time);
  if (!events.ok) throw new Error(events.message);
  const draft = makeDraft({
    op,
    network: NET,
    wallet: who,
    coins: walletCoins,
    feeRate: 2,
    guardians: guardianSettings,
    events: events.events,
    ...(payTo !== undefined ? { payTo } : {}),
  });
  return { draft, events: events.events };
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
    // The spell names its vault output and carries the wallet's key as the owner key (docs/decisions.md §2a).
    expect(draft.spell.op).toMatchObject({ vaultOutput: 0, ownerKey: a.publicKey });
    expect(draft.built.guardianInputs).toEqual([]);
  });

  it("the review's cost bound covers the final transactions, attestation and proof attached", async () => {
    const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n });
    const op: Operation = { type: "openVault", owner: a.address, collateral: d("0.25"), borrow: d("5000") };
    const { draft, events } = await draftOf(state, op, a);
    const input = {
      op,
      network: NET,
      wallet: a,
      coins: walletCoins,
      feeRate: 2,
      guardians: guardianSettings,
      events,
    };
    const cost = flowCost(input, { priceUpdate: true, price: d("97000"), members: 3, attested: true });
    expect(cost.lines.map((l) => l.id)).toEqual(["price", "operation"]);
    expect(cost.total).toBe(cost.lines[0]!.fee + cost.lines[1]!.fee);
    // The final open carries a 2-of-3 attestation (159 bytes) and the proof: more than the review's
    // draft without them, never more than the bound.
    const final = makeDraft({ ...input, attestation: new Uint8Array(159).fill(1) });
    expect(final.built.fee).toBeGreaterThan(draft.built.fee);
    expect(final.built.fee).toBeLessThanOrEqual(cost.lines[1]!.fee);
    // One more signature at most, and the room kept for one more wallet input (68 vB at 2 sat/vB).
    expect(cost.lines[1]!.fee - final.built.fee).toBeLessThanOrEqual(2n * 64n + 2n + 136n);
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

  it("payouts (withdraw, close, liquidate, claim gains, pool withdraw, redeem) are wallet-only spells: no custody input, no guardian; the ledger owes the engine's amount", async () => {
    const b = bob.account;
    const cases: [State, Operation, WalletAccount, string][] = [
      [
        opened,
        { type: "adjustVault", owner: a.address, withdrawCollateral: d("0.2") },
        a,
        "CollateralWithdrawn",
      ],
      [opened, { type: "closeVault", owner: dave.account.address }, dave.account, "VaultClosed"],
      [dropped, { type: "liquidate", owner: carol.account.address, liquidator: a.address }, a, "Liquidation"],
      [liquidated, { type: "claimGains", owner: b.address }, b, "GainsClaimed"],
      [liquidated, { type: "poolWithdraw", owner: b.address, amount: d("100") }, b, "GainsClaimed"],
      [
        liquidated,
        { type: "redeem", redeemer: a.address, amount: d("1000"), maxFee: d("0.05") },
        a,
        "Redeemed",
      ],
    ];
    for (const [state, op, who, paying] of cases) {
      const { draft, events } = await draftOf(state, op, who);
      expect(
        kinds(draft).inputs.every((k) => k === "wallet"),
        op.type,
      ).toBe(true);
      expect(draft.built.guardianInputs, op.type).toEqual([]);
      expect(
        kinds(draft).outputs.filter((o) => !o.startsWith("change") && !o.startsWith("spell")),
        op.type,
      ).toEqual([]);
      const owed = events
        .filter((e) => e.type === paying)
        .reduce((s, e) => s + (e as { paidSats: bigint }).paidSats, 0n);
      expect(owed, op.type).toBeGreaterThan(0n);
      expect(payoutSats(events), op.type).toBe(owed);
    }
    const deposit = await draftOf(opened, { type: "poolDeposit", owner: a.address, amount: d("100") }, a);
    expect(payoutSats(deposit.events)).toBe(0n);
  });

  it('"Send BTC to": another standard address is named in the spell; the wallet\'s own or none is not; a bad one is refused in words', async () => {
    const taproot = walletAccount(bob.account.publicKey, "p2tr", NET).address;
    const legacy = p2pkh(dave.account.publicKey, networkParams(NET)).address!;
    const close = { type: "closeVault", owner: dave.account.address } as const;
    const withdraw = { type: "adjustVault", owner: a.address, withdrawCollateral: d("0.2") } as const;
    for (const [state, op, who, to] of [
      [opened, close, dave.account, taproot],
      [opened, withdraw, a, legacy],
      [liquidated, { type: "claimGains", owner: bob.account.address } as const, bob.account, taproot],
    ] as const) {
      const { draft } = await draftOf(state, op, who, state.g.time, to);
      const payout = (draft.summary.spell!.op as { payout?: { script?: Uint8Array } }).payout;
      expect(payout?.script && hex.encode(payout.script), op.type).toBe(hex.encode(addressToScript(to, NET)));
      // Still a wallet-only spell: the payout is the settlement's.
      expect(kinds(draft).outputs.filter((o) => !o.startsWith("change") && !o.startsWith("spell"))).toEqual(
        [],
      );
    }
    for (const to of ["", "  ", dave.account.address]) {
      const { draft } = await draftOf(opened, close, dave.account, opened.g.time, to);
      expect(draft.summary.spell?.op, JSON.stringify(to)).toEqual({ type: "closeVault" });
    }
    const mainnet = walletAccount(dave.account.publicKey, "p2wpkh", "mainnet").address;
    for (const bad of [
      "not an address",
      mainnet,
      `${taproot.slice(0, -1)}${taproot.endsWith("x") ? "y" : "x"}`,
    ])
      await expect(draftOf(opened, close, dave.account, opened.g.time, bad), bad).rejects.toThrow(
        /not a valid regtest Bitcoin address/,
      );
    // A withdrawal the indexer would refuse (belowMinPayout) is refused here first, in words.
    const tiny = { type: "adjustVault", owner: a.address, withdrawCollateral: d("0.00005") } as const;
    await expect(draftOf(opened, tiny, a)).rejects.toThrow(/The payout of 5000 sats is below 5294 sats/);
    await expect(draftOf(opened, tiny, a, opened.g.time, legacy)).rejects.toThrow(/below 5546 sats/);
    expect(payoutAddress("", NET)).toEqual({ ok: true, script: null });
    expect(canNamePayout(close)).toBe(true);
    expect(canNamePayout({ type: "transfer", from: a.address, to: bob.account.address, amount: 1n })).toBe(
      false,
    );
    expect(canNamePayout({ type: "claimGainsToVault", owner: bob.account.address })).toBe(false);
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
      }),
    ).toThrow(DraftError);
    // A Taproot address cannot own a vault (it cannot sign the escape branch): said before anything is built.
    const taproot = walletAccount(a.publicKey, "p2tr", NET);
    expect(() =>
      makeDraft({
        op: { type: "openVault", owner: taproot.address, collateral: d("0.25"), borrow: d("5000") },
        network: NET,
        wallet: taproot,
        coins: [],
        feeRate: 2,
        guardians: guardianSettings,
        events: [],
      }),
    ).toThrow(/Taproot address cannot own a vault/);
  });
});

describe("steps per operation", () => {
  const a = alice.account.address;
  const ids = (op: Operation, paysOut: boolean) => planSteps(op, paysOut).map((s) => s.id);

  it("priced operations get an attestation and a price update; vault changes a proof; payouts a settlement stage", () => {
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
    expect(ids({ type: "adjustVault", owner: a, withdrawCollateral: d("0.1") }, true).at(-1)).toBe("settle");
    // liquidation has no circuit (docs/zk.md)
    expect(ids({ type: "liquidate", owner: a, liquidator: a }, true)).toEqual([
      "attestation",
      "price",
      "build",
      "sign",
      "broadcast",
      "confirm",
      "settle",
    ]);
    // A close carries a fresh attestation (its vault proof is made at the attested time) but the
    // chain does not value it: no price update. Its payout is settled later.
    expect(ids({ type: "closeVault", owner: a }, true)).toEqual([
      "attestation",
      "proof",
      "build",
      "sign",
      "broadcast",
      "confirm",
      "settle",
    ]);
    expect(ids({ type: "claimGains", owner: a }, true)).toEqual([
      "build",
      "sign",
      "broadcast",
      "confirm",
      "settle",
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
