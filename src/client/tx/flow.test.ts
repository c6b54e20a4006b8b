/**
 * The flow's steps and what a failure leaves behind, with a real key signing real PSBTs and in-process
 * stand-ins for the chain (Esplora calls) and the engine worker (snapshot, spell records, block
 * notices): a transfer goes through to "confirmed"; a declined signature, a broadcast the node refuses
 * and a missing attestation stop with a sentence and leave no coin locked; a spell the engine refuses
 * is reported with its reason.
 */

import { readFileSync } from "node:fs";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { SigHash, Transaction } from "@scure/btc-signer";
import { describe, expect, it } from "vitest";
import { attest } from "../../../test/indexer/chain.ts";
import type { EsploraClient } from "../../btc/esplora.ts";
import { addressToScript } from "../../btc/network.ts";
import { walletAccount } from "../../btc/psbt.ts";
import { spellOfTransaction } from "../../btc/psbt-preview.ts";
import { signPsbtInputs } from "../../btc/psbt-sign.ts";
import { descriptorAddress, poolDescriptor, toHex } from "../../btc/scripts.ts";
import { UtxoTracker } from "../../btc/utxo.ts";
import { type BitcoinWallet, WalletError } from "../../btc/wallet.ts";
import {
  apply,
  cloneState,
  createGenesisState,
  DEFAULT_PARAMS,
  type Operation,
  parseDecimal,
  type State,
  serializeState,
} from "../../protocol/index.ts";
import type { ProveContext, ProveResult, ZkOperation } from "../../zk/index.ts";
import type { DataNotice } from "../engine/engineClient.ts";
import { type FlowDeps, type FlowEngine, runFlow, type Step, waitForSpell } from "./flow.ts";
import { MAX_REPROVES } from "./reprove.ts";

const NET = "regtest" as const;
const priv = secp256k1.utils.randomSecretKey();
const account = walletAccount(secp256k1.getPublicKey(priv, true), "p2wpkh", NET);
const other = () =>
  walletAccount(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true), "p2wpkh", NET);
const bob = other();
const carol = other();
const guardianKeys = [1, 2, 3].map(() => secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true));
const guardianSet = { threshold: 2, keys: guardianKeys };

/** A funding transaction paying the wallet (what Esplora's /tx/:id/hex returns for its coin). */
function funding(sats: bigint) {
  const tx = new Transaction({ allowUnknownInputs: true, allowUnknownOutputs: true });
  tx.addOutput({ script: addressToScript(account.address, NET), amount: sats });
  tx.addInput({ txid: new Uint8Array(32).fill(7), index: 0, finalScriptSig: new Uint8Array([0x51]) });
  return { hex: tx.hex, txid: tx.id };
}

const parsed = (hex: string) => Transaction.fromRaw(Buffer.from(hex, "hex"), { allowUnknownOutputs: true });

/** The wallet's outputs of a mined transaction (its change), as Esplora lists them. */
function changeOf(hex: string) {
  const tx = parsed(hex);
  const mine = toHex(addressToScript(account.address, NET));
  return Array.from({ length: tx.outputsLength }, (_, vout) => ({ vout, o: tx.getOutput(vout) }))
    .filter(({ o }) => o.script && toHex(o.script) === mine)
    .map(({ vout, o }) => ({
      txid: tx.id,
      vout,
      value: Number(o.amount),
      status: { confirmed: true, block_height: 5 },
    }));
}

interface Stack {
  deps: FlowDeps;
  broadcasts: string[];
  tracker: UtxoTracker;
  /**
   * Another party's block: `ops` applied to the engine's state at the next height (at `time`, default
   * the state's), as when another tab or wallet's spell on the same vault confirms.
   */
  block(ops: Operation[], time?: bigint): void;
}

/**
 * The stand-ins. The chain "mines" a broadcast transaction at once: the engine records its txid at the
 * next height as applied (or refused with `refuse`) and sends a block notice.
 */
function stack(
  opts: {
    refuse?: string;
    /** The first broadcast only is refused with this reason (then spells apply). */
    refuseOnce?: { code: string; message: string };
    rejectBroadcast?: string;
    wallet?: BitcoinWallet;
  } = {},
): Stack {
  // The wallet's vault and pool deposit; Carol's vault liquidated into the pool after a price drop, so
  // the wallet has BTC gains the guardian pool pays.
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n, height: 0n });
  const d = parseDecimal;
  for (const op of [
    { type: "openVault", owner: account.address, collateral: d("1"), borrow: d("20000") },
    { type: "poolDeposit", owner: account.address, amount: d("19000") },
    { type: "openVault", owner: carol.address, collateral: d("0.3"), borrow: d("16000") },
    { type: "setPrice", price: d("55000") },
    { type: "liquidate", owner: carol.address, liquidator: account.address },
  ] as Operation[]) {
    const r = apply(state, op, { height: state.height + 1n, time: 0n });
    if (!r.ok) throw new Error(r.error.message);
  }
  let height = Number(state.height);
  const spells: { txid: string; height: number }[] = [];
  const rejected: { txid: string; height: number; reason: { code?: string; message: string } }[] = [];
  let refuseOnce = opts.refuseOnce;
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
        ? broadcasts.length > 0
          ? changeOf(broadcasts[broadcasts.length - 1]!)
          : [{ txid: coin.txid, vout: 0, value: 10_000_000, status: { confirmed: true, block_height: 1 } }]
        : a === descriptorAddress(poolDescriptor(guardianSet), NET)
          ? [
              {
                txid: "ab".repeat(32),
                vout: 1,
                value: 29_900_000,
                status: { confirmed: true, block_height: 4 },
              },
            ]
          : [],
    addressTxs: async () => [],
    txHex: async (txid: string) => broadcasts.find((hex) => parsed(hex).id === txid) ?? coin.hex,
    broadcast: async (hex: string) => {
      if (opts.rejectBroadcast) throw new Error(opts.rejectBroadcast);
      broadcasts.push(hex);
      const txid = Transaction.fromRaw(Buffer.from(hex, "hex"), { allowUnknownOutputs: true }).id;
      height++;
      setTimeout(() => {
        if (opts.refuse) rejected.push({ txid, height, reason: { message: opts.refuse } });
        else if (refuseOnce) {
          rejected.push({ txid, height, reason: refuseOnce });
          refuseOnce = undefined;
        } else spells.push({ txid, height });
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
    block: (ops, time) => {
      height++;
      for (const op of ops) {
        const r = apply(state, op, { height: BigInt(height), time: time ?? state.g.time });
        if (!r.ok) throw new Error(`${op.type}: ${r.error.message}`);
      }
    },
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
      paysOut: false,
      pollMs: 50,
    },
  };
}

/** A stand-in prover's answer: a well-formed proof of another circuit (the stand-in chain verifies nothing). */
const fixtureProof = (): ProveResult => ({
  circuit: "vault",
  proof: (
    JSON.parse(readFileSync(new URL("../../zk/fixtures/other-circuit.json", import.meta.url), "utf8")) as {
      proof: ProveResult["proof"];
    }
  ).proof,
  publicSignals: [],
  timings: { loadMs: 0, witnessMs: 0, proveMs: 0 },
});

const states = (steps: Step[]) => Object.fromEntries(steps.map((s) => [s.id, s.state]));

describe("the transaction flow", () => {
  it("a ledger spell goes through: final transaction, signature, broadcast, confirmed by the engine", async () => {
    const s = stack();
    let last: Step[] = [];
    const result = await runFlow(s.deps, (steps) => {
      last = steps;
    });
    expect(result).toMatchObject({ ok: true, height: 6 });
    expect(states(last)).toEqual({ build: "done", sign: "done", broadcast: "done", confirm: "done" });
    expect(last.find((x) => x.id === "confirm")?.detail).toBe("Confirmed in block 6.");
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

  it("a transaction whose fee would exceed the review's total is not signed, said in BTC", async () => {
    const s = stack();
    // The same transfer at 2 sat/vB pays more than 10 sats: above the agreed total.
    const result = await runFlow({ ...s.deps, maxNetworkFee: 10n }, () => {});
    expect(result).toMatchObject({ ok: false, step: "sign" });
    expect(!result.ok && result.message).toMatch(
      /network fee of 0\.\d{8} BTC would take the flow's total to 0\.\d{8} BTC, above the 0\.0000001 BTC you agreed to in the review/,
    );
    expect(s.broadcasts).toEqual([]);
    expect(s.tracker.lockedOutpoints()).toEqual([]);
    // At the bound it goes through.
    const t = stack();
    let fee = 0n;
    await runFlow(t.deps, (steps) => {
      const d = steps.find((x) => x.id === "build")?.detail ?? "";
      const m = /network fee (\d+) sats/.exec(d);
      if (m) fee = BigInt(m[1]!);
    });
    const u = stack();
    expect(await runFlow({ ...u.deps, maxNetworkFee: fee }, () => {})).toMatchObject({ ok: true });
  });

  it("a broadcast the node refuses unlocks the coin", async () => {
    const s = stack({ rejectBroadcast: "broadcast rejected: min relay fee not met" });
    const result = await runFlow(s.deps, () => {});
    expect(result).toMatchObject({ ok: false, step: "broadcast" });
    expect(!result.ok && result.message).toMatch(/min relay fee not met.*coins are unlocked/);
    expect(s.tracker.lockedOutpoints()).toEqual([]);
  });

  it("a wallet that signs the actor's input with another sighash than ALL: nothing is broadcast (the protocol would refuse it and anyone could rewrite it), coins unlocked", async () => {
    // Red team (issue 13): before, the app broadcast whatever the wallet signed; the indexer then
    // refused the spell (actorSighash) after the fee was spent, and with SIGHASH_NONE any relay
    // could have redirected the change first.
    const s = stack({
      wallet: {
        id: "test",
        label: "signs SIGHASH_NONE",
        getAddresses: async () => {
          throw new Error("not used");
        },
        getNetwork: async () => NET,
        signPsbt: async (psbt, inputs) => {
          const tx = Transaction.fromPSBT(psbt, { allowUnknownInputs: true, allowUnknownOutputs: true });
          for (const i of inputs[account.address] ?? []) {
            tx.updateInput(i, { sighashType: SigHash.NONE });
            tx.signIdx(priv, i, [SigHash.NONE]);
          }
          return tx.toPSBT();
        },
        signMessage: async () => {
          throw new Error("not used");
        },
      },
    });
    const result = await runFlow(s.deps, () => {});
    expect(result).toMatchObject({ ok: false, step: "sign" });
    expect(!result.ok && result.message).toMatch(/SIGHASH_ALL.*Nothing was sent/);
    expect(s.broadcasts).toEqual([]);
    expect(s.tracker.lockedOutpoints()).toEqual([]);
  });

  it("an engine that follows no chain cannot confirm: the sentence says the transaction was sent", async () => {
    const s = stack();
    const result = await runFlow(
      {
        ...s.deps,
        engine: {
          ...s.deps.engine,
          trackPending: async () => {
            throw new Error("not following a chain");
          },
        },
      },
      () => {},
    );
    expect(result).toMatchObject({ ok: false, step: "confirm" });
    expect(!result.ok && result.message).toMatch(
      /was sent, but this app's engine is not following the chain/,
    );
    expect(s.broadcasts).toHaveLength(1);
  });

  it("a spell the engine refuses is reported with its reason", async () => {
    const s = stack({ refuse: "the account's zkUSD balance is too low" });
    const result = await runFlow(s.deps, () => {});
    expect(result).toMatchObject({ ok: false, step: "confirm" });
    expect(!result.ok && result.message).toMatch(
      /mined in block 6 but the protocol refused its spell: the account's zkUSD balance is too low/,
    );
  });

  it("a proven mint refused proofInvalid (its vault changed before it confirmed) is proved again and sent as a new transaction, saying why", async () => {
    const s = stack({
      refuseOnce: {
        code: "proofInvalid",
        message: "the vault proof does not verify for the engine's change to the vault",
      },
    });
    const price = parseDecimal("55000");
    const time = Math.floor(Date.now() / 1000);
    const attestation = attest(price, time, 1n);
    let asked = 0;
    const guardian = (async () =>
      ++asked &&
      new Response(
        JSON.stringify({
          price: price.toString(),
          timestamp: time,
          signers: [0, 1],
          attestation: toHex(attestation.bytes),
        }),
      )) as typeof fetch;
    let proofs = 0;
    const details: string[] = [];
    const result = await runFlow(
      {
        ...s.deps,
        op: {
          type: "adjustVault",
          owner: account.address,
          borrow: parseDecimal("100"),
          maxFee: parseDecimal("0.05"),
        },
        guardians: { urls: ["http://g0.test"], keys: [], threshold: 2 },
        fetch: guardian,
        prover: {
          prove: async () => {
            proofs++;
            return fixtureProof();
          },
        },
      },
      (steps) => {
        const detail = steps.find((x) => x.id === "proof")?.detail;
        if (detail) details.push(detail);
      },
    );
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(proofs).toBe(2);
    expect(asked).toBe(2); // back to the attestation step: a fresh price for the new proof
    expect(s.broadcasts).toHaveLength(2);
    expect(details.some((d) => /refused the spell because your vault .*changed.*signs again/.test(d))).toBe(
      true,
    );
  });

  it("pool gains are a wallet-only spell: confirmed (stage 1), then the settlement stage says what is owed; no guardian is asked", async () => {
    const s = stack();
    const asked: string[] = [];
    const noGuardian = (async (url: string) => {
      asked.push(url);
      throw new TypeError("no guardian should be asked");
    }) as typeof fetch;
    let last: Step[] = [];
    const result = await runFlow(
      {
        ...s.deps,
        op: { type: "claimGains", owner: account.address },
        guardians: { urls: ["http://g0.test"], keys: guardianKeys.map(toHex), threshold: 2 },
        paysOut: true,
        fetch: noGuardian,
      },
      (steps) => {
        last = steps;
      },
    );
    expect(result).toMatchObject({ ok: true });
    expect(asked).toEqual([]);
    expect(states(last)).toEqual({
      build: "done",
      sign: "done",
      broadcast: "done",
      confirm: "done",
      settle: "running",
    });
    // The payout is owed, not received: the settlement stage stays open with the amount.
    expect(last.find((x) => x.id === "settle")?.detail).toMatch(
      /The ledger now owes you 0\.\d+ BTC .* settlement transaction/,
    );
    expect(last.find((x) => x.id === "build")?.detail).toMatch(/^1 input, 2 outputs/); // wallet coin, spell + change
    expect(s.broadcasts).toHaveLength(1);
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

describe("waiting for a spell", () => {
  it("ends, said plainly, when the transaction was replaced (it never confirms)", async () => {
    const txid = "ef".repeat(32);
    const note = "Replaced: its coins were spent by transaction aa… instead.";
    const engine: FlowEngine = {
      snapshot: async () => {
        throw new Error("not used");
      },
      spells: async () => [],
      rejected: async () => [],
      trackPending: async () => {},
      pending: async () => [{ txid, status: { state: "replaced" }, note }],
      subscribe: async () => () => {},
      refresh: () => {},
    };
    expect(await waitForSpell(engine, txid, 1, 5)).toEqual({ ok: false, gone: true, reason: note });
  });
});

/**
 * Issue 16, hostile: the vault's record (or what its proof reads) changes between proving and
 * broadcasting. The flow must go back to the attestation (a fresh quorum-signed price and state),
 * prove against the vault's current record, never broadcast the stale transaction, and say why.
 */
describe("proving again when the vault changed under its proof", () => {
  /** A proven flow on `s` with a guardian that attests a new round on every request. */
  function provenFlow(
    s: Stack,
    op: Operation,
    hooks: { onProve?: (n: number) => void; onSign?: (n: number) => void } = {},
  ) {
    const price = parseDecimal("55000");
    const start = Math.floor(Date.now() / 1000);
    const attestations: Uint8Array[] = [];
    const guardian = (async () => {
      const a = attest(price, start + attestations.length, BigInt(attestations.length + 1));
      attestations.push(a.bytes);
      return new Response(
        JSON.stringify({
          price: price.toString(),
          timestamp: start + attestations.length - 1,
          signers: [0, 1],
          attestation: toHex(a.bytes),
        }),
      );
    }) as typeof fetch;
    const proofs: { state: State; ctx: ProveContext; op: ZkOperation }[] = [];
    let signatures = 0;
    const details: string[] = [];
    let last: Step[] = [];
    const run = () =>
      runFlow(
        {
          ...s.deps,
          op,
          guardians: { urls: ["http://g0.test"], keys: guardianKeys.map(toHex), threshold: 2 },
          fetch: guardian,
          wallet: {
            ...s.deps.wallet,
            signPsbt: async (psbt, inputs) => {
              signatures++;
              hooks.onSign?.(signatures);
              return s.deps.wallet.signPsbt(psbt, inputs);
            },
          },
          prover: {
            prove: async (zkOp, state, ctx) => {
              proofs.push({ state: cloneState(state), ctx, op: zkOp });
              hooks.onProve?.(proofs.length);
              return fixtureProof();
            },
          },
        },
        (steps) => {
          last = steps;
          for (const x of steps) if (x.detail && !details.includes(x.detail)) details.push(x.detail);
        },
      );
    return { run, attestations, proofs, details, signatures: () => signatures, last: () => last };
  }

  /** The attestation bytes the spell of a broadcast transaction carries. */
  const spellAttestation = (hex: string) => {
    const r = spellOfTransaction(hex);
    if (!r.ok) throw new Error(r.reason);
    return toHex(r.spell.attestation);
  };

  const mint: Operation = {
    type: "adjustVault",
    owner: account.address,
    borrow: parseDecimal("100"),
    maxFee: parseDecimal("0.05"),
  };
  const deposit = (btc: string): Operation => ({
    type: "adjustVault",
    owner: account.address,
    depositCollateral: parseDecimal(btc),
  });

  it("another spell on the same vault confirms while the proof is made: a fresh attestation, a proof against the vault's current record, one transaction signed and sent, and the steps say so", async () => {
    const s = stack();
    const f = provenFlow(s, mint, { onProve: (n) => n === 1 && s.block([deposit("0.1")]) });
    const result = await f.run();
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(f.proofs).toHaveLength(2);
    expect(f.attestations).toHaveLength(2);
    // The second proof speaks about the vault as it is now, at the fresh attestation.
    expect(f.proofs[1]!.state.accounts.get(account.address)?.coll).toBe(parseDecimal("1.1"));
    expect(f.proofs[1]!.ctx.attestation.round).toBe(2n);
    expect(f.proofs[0]!.ctx.attestation.round).toBe(1n);
    expect(f.signatures()).toBe(1);
    expect(s.broadcasts).toHaveLength(1);
    expect(spellAttestation(s.broadcasts[0]!)).toBe(toHex(f.attestations[1]!));
    expect(
      f.details.some((d) =>
        /^Your vault changed \(collateral 1(\.0+)? BTC → 1\.10* BTC\) since the proof was made; proving again with a fresh price attestation/.test(
          d,
        ),
      ),
      f.details.join("\n"),
    ).toBe(true);
    expect(states(f.last())).toMatchObject({ attestation: "done", proof: "done", confirm: "done" });
  });

  it("the vault changes while the wallet signs: that signed transaction is never broadcast and its coins are unlocked; a fresh attestation, proof and signature go out instead", async () => {
    const s = stack();
    const f = provenFlow(s, mint, { onSign: (n) => n === 1 && s.block([deposit("0.2")]) });
    const result = await f.run();
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(f.signatures()).toBe(2);
    expect(s.broadcasts).toHaveLength(1);
    expect(f.attestations).toHaveLength(2);
    expect(spellAttestation(s.broadcasts[0]!)).toBe(toHex(f.attestations[1]!));
    expect(f.proofs[1]!.state.accounts.get(account.address)?.coll).toBe(parseDecimal("1.2"));
    // Only the sent transaction's coin stays reserved; the unsent one's lock is gone.
    expect(s.tracker.lockedOutpoints()).toHaveLength(1);
    expect(
      f.details.some((d) => /while your wallet was signing, so that transaction was not sent/.test(d)),
    ).toBe(true);
  });

  it("a vault that changes under every proof: after MAX_REPROVES new proofs the flow stops, nothing signed, saying why", async () => {
    const s = stack();
    const f = provenFlow(s, mint, { onProve: () => s.block([deposit("0.01")]) });
    const result = await f.run();
    expect(result).toMatchObject({ ok: false, step: "build" });
    expect(!result.ok && result.message).toMatch(
      /^Your vault changed \(collateral .*\) again since the proof was made\. Nothing was signed or sent; try again\.$/,
    );
    expect(f.proofs).toHaveLength(MAX_REPROVES + 1);
    expect(f.attestations).toHaveLength(MAX_REPROVES + 1);
    expect(f.signatures()).toBe(0);
    expect(s.broadcasts).toEqual([]);
    expect(s.tracker.lockedOutpoints()).toEqual([]);
  });

  it("a liquidation's redistribution reaching the vault while it is proved: proved again, said so", async () => {
    const s = stack();
    const dave = other();
    const f = provenFlow(s, deposit("0.05"), {
      onProve: (n) =>
        n === 1 &&
        s.block([
          {
            type: "openVault",
            owner: dave.address,
            collateral: parseDecimal("0.4"),
            borrow: parseDecimal("18000"),
          },
          { type: "setPrice", price: parseDecimal("50000") },
          { type: "liquidate", owner: dave.address, liquidator: bob.address },
          { type: "setPrice", price: parseDecimal("55000") },
        ]),
    });
    const result = await f.run();
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(f.proofs).toHaveLength(2);
    expect(f.proofs[1]!.state.g.L_coll).toBeGreaterThan(f.proofs[0]!.state.g.L_coll);
    expect(f.attestations).toHaveLength(2);
    expect(f.details.some((d) => /^A liquidation's redistribution reached your vault/.test(d))).toBe(true);
  });

  it("the borrowing fee rose while the mint was proved (a redemption of the same vault): quoted again and said; above the user's maximum the flow stops before anything is signed", async () => {
    const now = BigInt(Math.floor(Date.now() / 1000)) - 60n;
    const redeem: Operation = {
      type: "redeem",
      redeemer: account.address,
      amount: parseDecimal("500"),
      maxFee: parseDecimal("1"),
    };
    const s = stack();
    const f = provenFlow(s, mint, { onProve: (n) => n === 1 && s.block([redeem], now) });
    const result = await f.run();
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    const [first, second] = f.proofs.map((p) => (p.op.type === "closeVault" ? undefined : p.op.fee));
    expect(second).toBeGreaterThan(first!);
    expect(
      f.details.some((d) => /The borrowing fee is now [\d.,]+ zkUSD \(it was [\d.,]+ zkUSD\)/.test(d)),
    ).toBe(true);
    expect(spellOfTransaction(s.broadcasts[0]!)).toMatchObject({ ok: true, spell: { op: { fee: second } } });

    // At the floor as the maximum, the risen fee is more than the user accepted: asked again.
    const t = stack();
    const g = provenFlow(
      t,
      { ...mint, maxFee: DEFAULT_PARAMS.borrowingFeeFloor },
      { onProve: (n) => n === 1 && t.block([redeem], now) },
    );
    const refused = await g.run();
    expect(refused).toMatchObject({ ok: false, step: "proof" });
    expect(!refused.ok && refused.message).toMatch(
      /The borrowing fee is now [\d.,]+ zkUSD, more than the maximum fee of 0\.50% you accepted\. Nothing was signed or sent: go back to the form/,
    );
    expect(g.signatures()).toBe(0);
    expect(t.broadcasts).toEqual([]);
  });
});
