/**
 * The flow's steps and what a failure leaves behind, with a real key signing real PSBTs and in-process
 * stand-ins for the chain (Esplora calls) and the engine worker (snapshot, spell records, block
 * notices): a transfer goes through to "confirmed"; a declined signature, a broadcast the node refuses
 * and a missing attestation stop with a sentence and leave no coin locked; a spell the engine refuses
 * is reported with its reason.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { Transaction } from "@scure/btc-signer";
import { describe, expect, it } from "vitest";
import type { EsploraClient } from "../../btc/esplora.ts";
import { addressToScript } from "../../btc/network.ts";
import { signPsbtInputs, walletAccount } from "../../btc/psbt.ts";
import { UtxoTracker } from "../../btc/utxo.ts";
import { type BitcoinWallet, WalletError } from "../../btc/wallet.ts";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  parseDecimal,
  serializeState,
} from "../../protocol/index.ts";
import type { DataNotice } from "../engine/client.ts";
import { type FlowDeps, type FlowEngine, runFlow, type Step } from "./flow.ts";

const NET = "regtest" as const;
const priv = secp256k1.utils.randomSecretKey();
const account = walletAccount(secp256k1.getPublicKey(priv, true), "p2wpkh", NET);
const bob = walletAccount(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true), "p2wpkh", NET);

/** A funding transaction paying the wallet (what Esplora's /tx/:id/hex returns for its coin). */
function funding(sats: bigint) {
  const tx = new Transaction({ allowUnknownInputs: true, allowUnknownOutputs: true });
  tx.addOutput({ script: addressToScript(account.address, NET), amount: sats });
  tx.addInput({ txid: new Uint8Array(32).fill(7), index: 0, finalScriptSig: new Uint8Array([0x51]) });
  return { hex: tx.hex, txid: tx.id };
}

interface Stack {
  deps: FlowDeps;
  broadcasts: string[];
  tracker: UtxoTracker;
}

/**
 * The stand-ins. The chain "mines" a broadcast transaction at once: the engine records its txid at the
 * next height as applied (or refused with `refuse`) and sends a block notice.
 */
function stack(opts: { refuse?: string; rejectBroadcast?: string; wallet?: BitcoinWallet } = {}): Stack {
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n, height: 0n });
  const r = apply(
    state,
    {
      type: "openVault",
      owner: account.address,
      collateral: parseDecimal("1"),
      borrow: parseDecimal("5000"),
    },
    { height: 1n, time: 0n },
  );
  if (!r.ok) throw new Error(r.error.message);
  let height = 1;
  const spells: { txid: string; height: number }[] = [];
  const rejected: { txid: string; height: number; reason: { message: string } }[] = [];
  const listeners = new Set<(n: DataNotice) => void>();
  const engine: FlowEngine = {
    snapshot: async () => ({ height, root: "", state: serializeState(state) }),
    spells: async (range) => spells.filter((s) => s.height >= (range?.fromHeight ?? 0)),
    rejected: async (range) => rejected.filter((s) => s.height >= (range?.fromHeight ?? 0)),
    trackPending: async () => {},
    subscribe: async (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    refresh: () => {},
  };
  const coin = funding(10_000_000n);
  const broadcasts: string[] = [];
  const esplora = {
    addressUtxos: async (a: string) =>
      a === account.address
        ? [{ txid: coin.txid, vout: 0, value: 10_000_000, status: { confirmed: true, block_height: 1 } }]
        : [],
    addressTxs: async () => [],
    txHex: async () => coin.hex,
    broadcast: async (hex: string) => {
      if (opts.rejectBroadcast) throw new Error(opts.rejectBroadcast);
      broadcasts.push(hex);
      const txid = Transaction.fromRaw(Buffer.from(hex, "hex"), { allowUnknownOutputs: true }).id;
      height++;
      setTimeout(() => {
        if (opts.refuse) rejected.push({ txid, height, reason: { message: opts.refuse } });
        else spells.push({ txid, height });
        for (const fn of listeners)
          fn({ type: "block", height, hash: "00".repeat(32), root: "", spells: 1, rejected: 0 });
      }, 5);
      return txid;
    },
  } as unknown as EsploraClient;
  const wallet: BitcoinWallet = opts.wallet ?? {
    id: "test",
    label: "test key",
    getAddresses: async () => {
      throw new Error("not used");
    },
    getNetwork: async () => NET,
    signPsbt: async (psbt, inputs) => signPsbtInputs(psbt, priv, inputs[account.address] ?? []),
    signMessage: async () => {
      throw new Error("not used");
    },
  };
  const tracker = new UtxoTracker();
  return {
    broadcasts,
    tracker,
    deps: {
      op: { type: "transfer", from: account.address, to: bob.address, amount: parseDecimal("100") },
      network: NET,
      wallet,
      account,
      guardians: { urls: [], keys: [], threshold: 2 },
      feeRate: 2,
      esplora,
      engine,
      prover: {
        prove: async () => {
          throw new Error("no proof expected");
        },
      },
      tracker,
      spendsCustody: false,
      pollMs: 50,
    },
  };
}

const states = (steps: Step[]) => Object.fromEntries(steps.map((s) => [s.id, s.state]));

describe("the transaction flow", () => {
  it("a ledger spell goes through: final transaction, signature, broadcast, confirmed by the engine", async () => {
    const s = stack();
    let last: Step[] = [];
    const result = await runFlow(s.deps, (steps) => {
      last = steps;
    });
    expect(result).toMatchObject({ ok: true, height: 2 });
    expect(states(last)).toEqual({ build: "done", sign: "done", broadcast: "done", confirm: "done" });
    expect(last.find((x) => x.id === "confirm")?.detail).toBe("Confirmed in block 2.");
    expect(last.find((x) => x.id === "build")?.detail).toMatch(/network fee \d+ sats at 2 sat\/vB/);
    expect(s.broadcasts).toHaveLength(1);
    // The coin stays reserved until the chain drops it (broadcast lock), so no later draft spends it.
    expect(s.tracker.lockedOutpoints()).toHaveLength(1);
  });

  it("a declined signature stops the flow, sends nothing and unlocks the coin", async () => {
    const s = stack({
      wallet: {
        id: "test",
        label: "declines",
        getAddresses: async () => {
          throw new Error("not used");
        },
        getNetwork: async () => NET,
        signPsbt: async () => {
          throw new WalletError("userRejected", "the user declined");
        },
        signMessage: async () => {
          throw new Error("not used");
        },
      },
    });
    let last: Step[] = [];
    const result = await runFlow(s.deps, (steps) => {
      last = steps;
    });
    expect(result).toMatchObject({ ok: false, step: "sign" });
    expect(!result.ok && result.message).toMatch(
      /You declined the signature in your wallet. Nothing was signed or sent/,
    );
    expect(states(last)).toEqual({ build: "done", sign: "failed", broadcast: "skipped", confirm: "skipped" });
    expect(s.broadcasts).toEqual([]);
    expect(s.tracker.lockedOutpoints()).toEqual([]);
  });

  it("a broadcast the node refuses unlocks the coin", async () => {
    const s = stack({ rejectBroadcast: "broadcast rejected: min relay fee not met" });
    const result = await runFlow(s.deps, () => {});
    expect(result).toMatchObject({ ok: false, step: "broadcast" });
    expect(!result.ok && result.message).toMatch(/min relay fee not met.*coins are unlocked/);
    expect(s.tracker.lockedOutpoints()).toEqual([]);
  });

  it("a spell the engine refuses is reported with its reason", async () => {
    const s = stack({ refuse: "the account's zkUSD balance is too low" });
    const result = await runFlow(s.deps, () => {});
    expect(result).toMatchObject({ ok: false, step: "confirm" });
    expect(!result.ok && result.message).toMatch(
      /mined in block 2 but the protocol refused its spell: the account's zkUSD balance is too low/,
    );
  });

  it("a priced operation without guardians stops at the attestation, before anything is built", async () => {
    const s = stack();
    let last: Step[] = [];
    const result = await runFlow(
      { ...s.deps, op: { type: "adjustVault", owner: account.address, borrow: parseDecimal("100") } },
      (steps) => {
        last = steps;
      },
    );
    expect(result).toMatchObject({ ok: false, step: "attestation" });
    expect(!result.ok && result.message).toMatch(/No guardian is configured/);
    expect(states(last)).toEqual({
      attestation: "failed",
      price: "skipped",
      proof: "skipped",
      build: "skipped",
      sign: "skipped",
      broadcast: "skipped",
      confirm: "skipped",
    });
    expect(s.tracker.lockedOutpoints()).toEqual([]);
  });
});

// The broadcast hex is a complete, finalized transaction (what the node accepts).
it("what is broadcast is final", async () => {
  const s = stack();
  await runFlow(s.deps, () => {});
  expect(
    Transaction.fromRaw(Buffer.from(s.broadcasts[0]!, "hex"), { allowUnknownOutputs: true }).isFinal,
  ).toBe(true);
});
