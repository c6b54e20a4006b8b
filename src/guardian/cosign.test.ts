/**
 * Co-signing refusals that need no chain: membership after a rotation, no spell, a vault as input 0,
 * a price-moving spell without or with an old attestation. (Everything that needs the chain is in
 * test/guardian/regtest.test.ts.)
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
const vault = vaultDescriptor({ owner: owner.publicKey, guardians: set });
const NOW = 1_800_000_000_000;

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
    // Never reached by these refusals (they all stop before the chain checks).
    esplora: new EsploraClient({ baseUrl: "http://127.0.0.1:9" }),
    ledger: new SpendLedger(mkdtempSync(join(tmpdir(), "cosign-"))),
    keys: keys[0]!,
    now: () => NOW,
    ...over,
  };
}

function withdrawPsbt(attestation: Uint8Array): Uint8Array {
  return buildWithdraw(
    {
      network: "regtest",
      wallet: owner,
      walletUtxos: [walletUtxo(owner, "regtest", { txid: "11".repeat(32), vout: 0, value: 1_000_000n })],
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
});
