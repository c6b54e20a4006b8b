/**
 * Co-signing refusals that need no chain beyond input 0's previous transaction (served from memory):
 * membership after a rotation, no spell, a price-moving spell without or with an old attestation, a
 * forged attestation, and an input 0 whose witnessUtxo lies about the coin it spends. (Everything
 * else that needs the chain is in test/guardian/regtest.test.ts and custody.test.ts.)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { Transaction } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildWithdraw,
  EsploraClient,
  emptyProof,
  type GuardianSet,
  TX_OPTS,
  toHex,
  vaultDescriptor,
  walletAccount,
  walletUtxo,
} from "../btc/index.ts";
import { combineSignatures, encodeAttestation } from "../oracle/index.ts";
import { createGenesisState, DEFAULT_PARAMS, initPoseidon } from "../protocol/index.ts";
import { type CosignDeps, reviewAndSign } from "./cosign.ts";
import { GuardianKeys } from "./keys.ts";
import { SpendLedger } from "./ledger.ts";

const keys = [0, 1, 2].map(() => GuardianKeys.generate().keys);
const set: GuardianSet = { threshold: 2, keys: keys.map((k) => k.custodyPublicKey) };
const owner = walletAccount(
  secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
  "p2wpkh",
  "regtest",
);
const stranger = walletAccount(
  secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
  "p2wpkh",
  "regtest",
);
const vault = vaultDescriptor({ owner: owner.publicKey, guardians: set });
const NOW = 1_800_000_000_000;

/** A previous transaction paying 1,000,000 sats to `to` at output 0: what the chain says input 0 spends. */
function fundingTx(to: typeof owner): { txid: string; hex: string } {
  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  tx.addInput({ txid: "44".repeat(32), index: 0 });
  tx.addOutput({
    script: walletUtxo(to, "regtest", { txid: "", vout: 0, value: 0n }).script,
    amount: 1_000_000n,
  });
  return { txid: tx.id, hex: toHex(tx.unsignedTx) };
}
const funding = fundingTx(owner);
const strangers = fundingTx(stranger);

/** Esplora serving only the raw previous transactions above (nothing else is reached by these refusals). */
const chain = new EsploraClient({
  baseUrl: "http://chain.test",
  retries: 0,
  fetch: async (url) => {
    const prev = [funding, strangers].find((t) => String(url).endsWith(`/tx/${t.txid}/hex`));
    return prev ? new Response(prev.hex) : new Response("not found", { status: 404 });
  },
});

function deps(over: Partial<CosignDeps> = {}): CosignDeps {
  return {
    state: () => createGenesisState(DEFAULT_PARAMS, { time: 1_700_000_000n }),
    network: "regtest",
    guardians: () => set,
    verifier: () => ({
      proofs: true,
      oracleKeys: { threshold: 2, keys: keys.map((k) => k.oraclePublicKey) },
      verificationKeys: {},
    }),
    esplora: chain,
    ledger: new SpendLedger(mkdtempSync(join(tmpdir(), "cosign-"))),
    keys: keys[0]!,
    now: () => NOW,
    ...over,
  };
}

function withdrawPsbt(attestation: Uint8Array, input0 = funding.txid): Uint8Array {
  return buildWithdraw(
    {
      network: "regtest",
      wallet: owner,
      walletUtxos: [walletUtxo(owner, "regtest", { txid: input0, vout: 0, value: 1_000_000n })],
      feeRate: 2,
    },
    {
      spell: {
        version: 1,
        op: { type: "adjustVault", withdrawCollateral: 100_000n * 10n ** 10n },
        attestation,
        proof: emptyProof(),
      },
      vault,
      vaultUtxos: [{ txid: "22".repeat(32), vout: 1, value: 5_000_000n }],
      amountSats: 100_000n,
    },
  ).psbt;
}

function attestation(ageSec: number): Uint8Array {
  const statement = { price: 97_000n * 10n ** 18n, timestamp: Math.floor(NOW / 1000) - ageSec, round: 1n };
  return encodeAttestation(
    combineSignatures(statement, [keys[0]!.signPrice(statement, 0), keys[1]!.signPrice(statement, 1)]),
  );
}

beforeAll(() => initPoseidon());

describe("co-signing refusals before any chain lookup", () => {
  it("a guardian rotated out of the set signs nothing", async () => {
    const others: GuardianSet = {
      threshold: 2,
      keys: [keys[1]!.custodyPublicKey, keys[2]!.custodyPublicKey],
    };
    const r = await reviewAndSign(deps({ guardians: () => others }), withdrawPsbt(attestation(10)));
    expect(r).toMatchObject({
      ok: false,
      code: "unknownInput",
      reason: expect.stringMatching(/rotated out/),
    });
  });

  it("refuses a transaction without a spell", async () => {
    const tx = new Transaction({ ...TX_OPTS, version: 2 });
    tx.addInput({
      txid: "33".repeat(32),
      index: 0,
      witnessUtxo: {
        script: walletUtxo(owner, "regtest", { txid: "33".repeat(32), vout: 0, value: 1n }).script,
        amount: 50_000n,
      },
    });
    tx.addOutputAddress(owner.address, 40_000n, {
      bech32: "bcrt",
      pubKeyHash: 0x6f,
      scriptHash: 0xc4,
      wif: 0xef,
    });
    expect(await reviewAndSign(deps(), tx.toPSBT())).toMatchObject({ ok: false, code: "noSpell" });
  });

  it("refuses a withdrawal without a price, or with one older than five minutes", async () => {
    expect(await reviewAndSign(deps(), withdrawPsbt(new Uint8Array(0)))).toMatchObject({
      ok: false,
      code: "stalePrice",
      reason: expect.stringMatching(/must carry a fresh price attestation/),
    });
    expect(await reviewAndSign(deps(), withdrawPsbt(attestation(301)))).toMatchObject({
      ok: false,
      code: "stalePrice",
      reason: expect.stringMatching(/301 s old .* the limit is 300 s/),
    });
    expect(
      await reviewAndSign(deps({ maxPriceAgeSec: 600 }), withdrawPsbt(attestation(301))),
    ).not.toMatchObject({
      code: "stalePrice",
    });
  });

  it("refuses an attestation the oracle set did not sign", async () => {
    const outsider = GuardianKeys.generate().keys;
    const statement = { price: 97_000n * 10n ** 18n, timestamp: Math.floor(NOW / 1000) - 5, round: 1n };
    const forged = encodeAttestation(
      combineSignatures(statement, [keys[0]!.signPrice(statement, 0), outsider.signPrice(statement, 1)]),
    );
    expect(await reviewAndSign(deps(), withdrawPsbt(forged))).toMatchObject({
      ok: false,
      code: "badAttestation",
      reason: expect.stringMatching(/signer 1 does not verify/),
    });
  });

  it("reads the actor from input 0's real previous output, never from the PSBT's witnessUtxo", async () => {
    // The PSBT says input 0 is the owner's coin; the chain says that outpoint pays a stranger.
    const r = await reviewAndSign(deps(), withdrawPsbt(attestation(5), strangers.txid));
    expect(r).toMatchObject({
      ok: false,
      code: "inputMismatch",
      reason: expect.stringMatching(
        new RegExp(
          `input 0 \\(${strangers.txid}:0\\) is not the output its witnessUtxo claims: on chain it pays 1000000 sats to ${stranger.address}`,
        ),
      ),
    });
    // An outpoint the chain does not know is no actor at all.
    expect(await reviewAndSign(deps(), withdrawPsbt(attestation(5), "55".repeat(32)))).toMatchObject({
      ok: false,
      code: "inputMismatch",
      reason: expect.stringMatching(/does not exist on chain or in the mempool/),
    });
  });
});
