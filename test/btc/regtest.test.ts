/**
 * The Bitcoin layer against a real regtest node (bcoin in-process, src/devnet) through the devnet's
 * Esplora API: every builder's PSBT is signed (dev wallet, guardian keys), checked by bitcoinjs-lib,
 * finalized, broadcast and mined; every vault path is exercised on the node.
 */
import "fake-indexeddb/auto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltPsbt,
  buildClaimGains,
  buildClose,
  buildDeposit,
  buildEscape,
  buildLedgerOp,
  buildLiquidation,
  buildOpenVault,
  buildRedemptionPayout,
  buildRoll,
  buildWithdraw,
  combinePsbts,
  DevWallet,
  descriptorAddress,
  EsploraClient,
  EsploraError,
  encodeSpell,
  feeForVsize,
  finalizePsbt,
  fromOperation,
  type ProtocolInput,
  poolDescriptor,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  spellOfTransaction,
  summarizePsbt,
  toOperation,
  type Utxo,
  type VaultDescriptor,
  vaultDescriptor,
  type WalletAccount,
  walletAccount,
  walletUtxo,
} from "../../src/btc/index.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import type { Operation } from "../../src/protocol/operations.ts";
import { bitcoinjsVsize, validateWithBitcoinjs } from "./helpers.ts";

const RATE = 3;
const SAT = 10n ** 10n;
const BTC = 100_000_000n;
const gPriv = [0, 1, 2].map(() => secp256k1.utils.randomSecretKey());
const guardians = { threshold: 2, keys: gPriv.map((k) => secp256k1.getPublicKey(k, true)) };
const pool = poolDescriptor(guardians);

let devnet: Devnet;
let esplora: EsploraClient;
let wallet: DevWallet;
let account: WalletAccount;
const feeReport: {
  builder: string;
  estimatedVsize: number;
  realVsize: number;
  fee: bigint;
  errorPct: number;
}[] = [];

const spellOf = (op: SpellOperation, attestation = new Uint8Array(0)): Spell => ({
  version: 1,
  op,
  attestation,
  proof: Uint8Array.from({ length: 128 }, (_, i) => (i * 7 + 3) & 0xff),
});

async function utxosOf(address: string): Promise<Utxo[]> {
  const list = await esplora.addressUtxos(address);
  const out: Utxo[] = [];
  for (const u of list) {
    out.push(
      walletUtxo(account, "regtest", {
        txid: u.txid,
        vout: u.vout,
        value: BigInt(u.value),
        rawTx: await esplora.txHex(u.txid),
      }),
    );
  }
  return out;
}

async function vaultUtxos(d: VaultDescriptor | typeof pool): Promise<ProtocolInput["utxo"][]> {
  const list = await esplora.addressUtxos(descriptorAddress(d, "regtest"));
  return list.map((u) => ({ txid: u.txid, vout: u.vout, value: BigInt(u.value) }));
}

async function fundWallet(sats: bigint): Promise<void> {
  await devnet.faucet(account.address, sats);
  await devnet.mine(1);
}

const opts = async () => ({
  network: "regtest" as const,
  wallet: account,
  walletUtxos: await utxosOf(account.address),
  feeRate: RATE,
  strategy: "largestFirst" as const,
});

/** Owner (dev wallet) + chosen guardians sign; bitcoinjs-lib checks every signature; finalize. */
async function sign(built: BuiltPsbt, guardianIdx: number[]) {
  const signed = [await wallet.signPsbt(built.psbt, built.signInputs)];
  for (const g of guardianIdx) signed.push(signPsbtInputs(built.psbt, gPriv[g]!, built.guardianInputs));
  const combined = combinePsbts(signed);
  expect(validateWithBitcoinjs(combined)).toBeGreaterThan(0);
  return finalizePsbt(combined);
}

/** Signs, broadcasts, mines, and records the fee estimate against the real vsize. */
async function send(name: string, built: BuiltPsbt, guardianIdx: number[] = []): Promise<string> {
  const final = await sign(built, guardianIdx);
  expect(bitcoinjsVsize(final.hex)).toBe(final.vsize);
  expect(final.vsize).toBeLessThanOrEqual(built.estimatedVsize);
  const txid = await esplora.broadcast(final.hex);
  expect(txid).toBe(final.txid);
  await devnet.mine(1);
  expect((await esplora.txStatus(txid)).confirmed).toBe(true);
  const ideal = final.vsize * RATE;
  const errorPct = ((Number(built.fee) - ideal) / ideal) * 100;
  feeReport.push({
    builder: name,
    estimatedVsize: built.estimatedVsize,
    realVsize: final.vsize,
    fee: built.fee,
    errorPct,
  });
  expect(built.outputs.some((o) => o.label === "change")).toBe(true);
  expect(Math.abs(errorPct)).toBeLessThanOrEqual(2);
  expect(final.fee).toBe(built.fee);
  return txid;
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0 });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1, backoffMs: 50 });
  wallet = await DevWallet.open({ network: "regtest", dbName: `zkusd-test-${Date.now()}` });
  const { payment } = await wallet.getAddresses();
  account = walletAccount(payment.publicKey, payment.type, "regtest");
  await fundWallet(5n * BTC);
}, 120_000);

afterAll(async () => {
  if (feeReport.length)
    console.table(feeReport.map((r) => ({ ...r, fee: String(r.fee), errorPct: r.errorPct.toFixed(2) })));
  await devnet?.close();
});

describe("regtest: vaults, spells and PSBTs on a real node", () => {
  const vault = () => vaultDescriptor({ owner: account.publicKey, guardians });

  it("opens a vault: the dev wallet signs, the node mines it, and Esplora gives back the vault output and the same operation", async () => {
    const op: Operation = {
      type: "openVault",
      owner: account.address,
      collateral: 50_000_000n * SAT,
      borrow: 2_000n * 10n ** 18n,
      maxFee: 5n * 10n ** 16n,
    };
    const { op: spellOp, actor } = fromOperation(op);
    const spell = spellOf(
      spellOp,
      Uint8Array.from({ length: 100 }, (_, i) => i),
    );
    const built = buildOpenVault(await opts(), { spell, vault: vault(), collateralSats: 50_000_000n });
    const summary = summarizePsbt(built.psbt, "regtest", { vaults: [vault()], wallet: [account.address] });
    expect(summary.spell).toEqual(spell);
    expect(summary.outputs.map((o) => o.kind)).toEqual(["vault", "spell", "change"]);
    expect(summary.fee).toBe(built.fee);
    expect(summary.rbf).toBe(true);
    const txid = await send("openVault", built);

    const tx = await esplora.tx(txid);
    expect(tx.vout[0]).toMatchObject({
      scriptpubkey_type: "v0_p2wsh",
      value: 50_000_000,
      scriptpubkey_address: descriptorAddress(vault(), "regtest"),
    });
    expect(tx.vout[1]!.scriptpubkey_type).toBe("op_return");
    const vaultUtxo = await esplora.addressUtxos(descriptorAddress(vault(), "regtest"));
    expect(vaultUtxo).toEqual([expect.objectContaining({ txid, vout: 0, value: 50_000_000 })]);
    // Found again by walking the block, as the indexer does.
    const status = await esplora.txStatus(txid);
    expect(await esplora.blockHash(status.block_height!)).toBe(status.block_hash);
    const inBlock = (await esplora.blockTxs(status.block_hash!)).find((t) => t.txid === txid)!;
    expect(inBlock.vin[0]!.prevout?.scriptpubkey_address).toBe(account.address);
    const found = spellOfTransaction(await esplora.txHex(txid));
    if (!found.ok) throw new Error(found.reason);
    expect(found.spell).toEqual(spell);
    expect(toOperation(found.spell.op, inBlock.vin[0]!.prevout!.scriptpubkey_address!)).toEqual(op);
    expect(actor).toBe(account.address);
  });

  it("deposits into the vault: a second vault output", async () => {
    const spell = spellOf({ type: "adjustVault", depositCollateral: 10_000_000n * SAT });
    const built = buildDeposit(await opts(), { spell, vault: vault(), collateralSats: 10_000_000n });
    await send("deposit", built);
    expect((await vaultUtxos(vault())).length).toBe(2);
  });

  it("carries a ledger-only spell (transfer) on a wallet input", async () => {
    const built = buildLedgerOp(await opts(), {
      spell: spellOf({ type: "transfer", to: "bcrt1qrecipient", amount: 10n ** 20n }),
    });
    expect(built.guardianInputs).toEqual([]);
    await send("ledgerOp", built);
  });

  it("refuses an owner-only spend of a vault before its timelock (path a needs the guardians)", async () => {
    const utxos = await vaultUtxos(vault());
    const built = buildWithdraw(await opts(), {
      spell: spellOf({ type: "adjustVault", withdrawCollateral: 1_000_000n * SAT }),
      vault: vault(),
      vaultUtxos: utxos,
      amountSats: 1_000_000n,
    });
    const ownerOnly = await wallet.signPsbt(built.psbt, built.signInputs);
    // With no guardian quorum the finalizer can only build the timelock witness, which the node refuses.
    const final = finalizePsbt(ownerOnly);
    const err = (await esplora.broadcast(final.hex).catch((e: unknown) => e)) as EsploraError;
    expect(err).toBeInstanceOf(EsploraError);
    expect(err.kind).toBe("rejected");
    // The RBF sequence carries the BIP68 disable flag, so OP_CHECKSEQUENCEVERIFY fails the script.
    expect(err.message).toMatch(/script-verify|UNSATISFIED_LOCKTIME|verify/i);
  });

  it("withdraws with the owner and 2 of 3 guardians; the node accepts it", async () => {
    const utxos = await vaultUtxos(vault());
    const built = buildWithdraw(await opts(), {
      spell: spellOf(
        { type: "adjustVault", withdrawCollateral: 20_000_000n * SAT },
        new Uint8Array(96).fill(7),
      ),
      vault: vault(),
      vaultUtxos: utxos,
      amountSats: 20_000_000n,
    });
    expect(built.guardianInputs.length).toBe(2);
    expect(built.signInputs[account.address]!.length).toBe(3); // wallet input + both vault inputs
    const txid = await send("withdraw", built, [0, 2]);
    const tx = await esplora.tx(txid);
    expect(
      tx.vout.find((o) => o.scriptpubkey_address === account.address && o.value === 20_000_000),
    ).toBeTruthy();
    expect(await vaultUtxos(vault())).toEqual([{ txid, vout: 1, value: 40_000_000n }]);
    expect(await esplora.outspend(utxos[0]!.txid, utxos[0]!.vout)).toMatchObject({ spent: true, txid });
  });

  it("liquidates (guardians alone) into the pool, pays gains from the pool, and pays a redemption", async () => {
    // A second vault to liquidate and a third to redeem against (distinct scripts via csv).
    const v2 = vaultDescriptor({ owner: account.publicKey, guardians, csvBlocks: 26_281 });
    const v3 = vaultDescriptor({ owner: account.publicKey, guardians, csvBlocks: 26_282 });
    await send(
      "openVault",
      buildOpenVault(await opts(), {
        spell: spellOf({ type: "openVault", collateral: 30_000_000n * SAT, borrow: 1n }),
        vault: v2,
        collateralSats: 30_000_000n,
      }),
    );
    await send(
      "openVault",
      buildOpenVault(await opts(), {
        spell: spellOf({ type: "openVault", collateral: 30_000_000n * SAT, borrow: 1n }),
        vault: v3,
        collateralSats: 30_000_000n,
      }),
    );

    const liq = buildLiquidation(await opts(), {
      spell: spellOf({ type: "liquidate", owner: "bob" }, new Uint8Array(80).fill(1)),
      vaults: [{ vault: v2, utxos: await vaultUtxos(v2) }],
      compensationSats: 150_000n,
      pool,
    });
    expect(liq.signInputs[account.address]).toEqual([0]); // the liquidator signs only its own input
    await send("liquidation", liq, [1, 2]);
    expect(await vaultUtxos(pool)).toEqual([expect.objectContaining({ value: 30_000_000n - 150_000n })]);

    const gains = buildClaimGains(await opts(), {
      spell: spellOf({ type: "claimGains" }),
      pool,
      poolUtxos: await vaultUtxos(pool),
      amountSats: 5_000_000n,
    });
    await send("claimGains", gains, [0, 1]);
    expect(await vaultUtxos(pool)).toEqual([
      expect.objectContaining({ value: 30_000_000n - 150_000n - 5_000_000n }),
    ]);

    const red = buildRedemptionPayout(await opts(), {
      spell: spellOf({ type: "redeem", amount: 10n ** 21n, maxFee: 10n ** 16n }, new Uint8Array(80).fill(2)),
      vaults: [{ vault: v3, utxos: await vaultUtxos(v3), payoutSats: 1_000_000n }],
    });
    await send("redemptionPayout", red, [0, 1]);
    expect(await vaultUtxos(v3)).toEqual([expect.objectContaining({ value: 29_000_000n })]);
  });

  it("guardians alone roll a vault to a fresh output under rotated keys", async () => {
    const v5 = vaultDescriptor({ owner: account.publicKey, guardians, csvBlocks: 26_283 });
    await send(
      "openVault",
      buildOpenVault(await opts(), {
        spell: spellOf({ type: "openVault", collateral: 8_000_000n * SAT, borrow: 1n }),
        vault: v5,
        collateralSats: 8_000_000n,
      }),
    );
    const newKey = secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
    const rotated = vaultDescriptor({
      owner: account.publicKey,
      guardians: { threshold: 2, keys: [guardians.keys[0]!, guardians.keys[1]!, newKey] },
    });
    // The roll op code belongs to the guardian range (reserved); any valid spell rides along here.
    const built = buildRoll(await opts(), {
      spell: spellOf({ type: "setPrice", price: 97_000n * 10n ** 18n }),
      vault: v5,
      vaultUtxos: await vaultUtxos(v5),
      nextVault: rotated,
    });
    expect(Object.values(built.vaultPaths)).toEqual(["guardians"]);
    expect(summarizePsbt(built.psbt, "regtest", { paths: built.vaultPaths }).inputs[1]!.path).toBe(
      "guardians",
    );
    await send("roll", built, [0, 1]);
    expect(await vaultUtxos(v5)).toEqual([]);
    expect(await vaultUtxos(rotated)).toEqual([expect.objectContaining({ value: 8_000_000n })]);
  });

  it("closes the vault: owner and guardians pay everything back to the owner", async () => {
    const built = buildClose(await opts(), {
      spell: spellOf({ type: "closeVault" }),
      vault: vault(),
      vaultUtxos: await vaultUtxos(vault()),
    });
    await send("close", built, [1, 0]);
    expect(await vaultUtxos(vault())).toEqual([]);
  });

  it("escape hatch: the owner alone is refused before the relative timelock and accepted after it", async () => {
    const csvBlocks = 5;
    const v = vaultDescriptor({ owner: account.publicKey, guardians, csvBlocks });
    await send(
      "openVault",
      buildOpenVault(await opts(), {
        spell: spellOf({ type: "openVault", collateral: 10_000_000n * SAT, borrow: 1n }),
        vault: v,
        collateralSats: 10_000_000n,
      }),
    );
    const funded = (await vaultUtxos(v))[0]!;
    const fundedAt = (await esplora.txStatus(funded.txid)).block_height!;
    const buildEscapeTx = async () => {
      const built = buildEscape(await opts(), {
        spell: spellOf({ type: "closeVault" }),
        vault: v,
        vaultUtxos: [funded],
      });
      expect(built.guardianInputs).toEqual([]);
      return built;
    };
    // The next block would give the vault output tip+1-fundedAt confirmations; BIP68 needs ≥ csvBlocks.
    let refused = 0;
    while ((await esplora.tipHeight()) + 1 - fundedAt < csvBlocks) {
      const early = await buildEscapeTx();
      const final = await sign(early, []);
      const err = await esplora.broadcast(final.hex).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EsploraError);
      expect((err as EsploraError).message).toMatch(/non-BIP68-final/);
      refused++;
      await devnet.mine(1);
    }
    expect(refused).toBe(csvBlocks - 1);
    await send("escape", await buildEscapeTx());
    expect(await vaultUtxos(v)).toEqual([]);
  });

  it("an Xverse-style P2SH-P2WPKH payment key opens a vault and withdraws with the guardians", async () => {
    const priv = secp256k1.utils.randomSecretKey();
    const xv = walletAccount(secp256k1.getPublicKey(priv, true), "p2sh-p2wpkh", "regtest");
    expect(xv.address).toMatch(/^2/);
    await devnet.faucet(xv.address, BTC);
    await devnet.mine(1);
    const xvUtxos = async () =>
      (await esplora.addressUtxos(xv.address)).map((u) =>
        walletUtxo(xv, "regtest", { txid: u.txid, vout: u.vout, value: BigInt(u.value) }),
      );
    const xvOpts = async () => ({
      network: "regtest" as const,
      wallet: xv,
      walletUtxos: await xvUtxos(),
      feeRate: RATE,
      strategy: "largestFirst" as const,
    });
    const v = vaultDescriptor({ owner: xv.publicKey, guardians });
    const signAndSend = async (name: string, built: BuiltPsbt, gs: number[]) => {
      const parts = [signPsbtInputs(built.psbt, priv, built.signInputs[xv.address]!)];
      for (const g of gs) parts.push(signPsbtInputs(built.psbt, gPriv[g]!, built.guardianInputs));
      const combined = combinePsbts(parts);
      validateWithBitcoinjs(combined);
      const final = finalizePsbt(combined);
      expect(final.vsize).toBeLessThanOrEqual(built.estimatedVsize);
      await esplora.broadcast(final.hex);
      await devnet.mine(1);
      const ideal = final.vsize * RATE;
      const errorPct = ((Number(built.fee) - ideal) / ideal) * 100;
      feeReport.push({
        builder: name,
        estimatedVsize: built.estimatedVsize,
        realVsize: final.vsize,
        fee: built.fee,
        errorPct,
      });
      expect(Math.abs(errorPct)).toBeLessThanOrEqual(2);
      return final.txid;
    };
    await signAndSend(
      "openVault (p2sh-p2wpkh)",
      buildOpenVault(await xvOpts(), {
        spell: spellOf({ type: "openVault", collateral: 20_000_000n * SAT, borrow: 1n }),
        vault: v,
        collateralSats: 20_000_000n,
      }),
      [],
    );
    const txid = await signAndSend(
      "withdraw (p2sh-p2wpkh)",
      buildWithdraw(await xvOpts(), {
        spell: spellOf({ type: "adjustVault", withdrawCollateral: 5_000_000n * SAT }),
        vault: v,
        vaultUtxos: await vaultUtxos(v),
        amountSats: 5_000_000n,
      }),
      [1, 2],
    );
    expect((await esplora.txStatus(txid)).confirmed).toBe(true);
    expect(await vaultUtxos(v)).toEqual([{ txid, vout: 1, value: 15_000_000n }]);
  });

  it("every builder's fee estimate is within 2% of the real vsize × rate", () => {
    const builders = new Set(feeReport.map((r) => r.builder));
    for (const b of [
      "openVault",
      "deposit",
      "ledgerOp",
      "withdraw",
      "liquidation",
      "claimGains",
      "redemptionPayout",
      "close",
      "escape",
    ]) {
      expect(builders.has(b)).toBe(true);
    }
    for (const r of feeReport) expect(feeForVsize(r.estimatedVsize, RATE)).toBe(r.fee);
  });

  it("serves spells under 1,000 bytes", () => {
    const big = encodeSpell(
      spellOf(
        { type: "liquidateList", owners: Array.from({ length: 5 }, (_, i) => `bcrt1q${"q".repeat(56)}${i}`) },
        new Uint8Array(300),
      ),
    );
    expect(big.length).toBeLessThan(1000);
  });
});
