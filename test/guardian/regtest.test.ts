/**
 * The guardian federation end to end on the real regtest node (bcoin devnet) with the dev price feed:
 * three guardian daemons (2-of-3) follow the chain and attest prices; with guardian-2 down, users open,
 * withdraw (with a real Groth16 proof), close, get liquidated (real proof), claim pool gains and redeem;
 * each custody spend is co-signed by the two live guardians, finalized and mined. Along the way a
 * guardian refuses — and signs nothing for — a PSBT paying more than the spell, a changed change
 * address, a failing proof, a stale price and a vault already being spent.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64 } from "@scure/base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltPsbt,
  buildClaimGains,
  buildClose,
  buildLedgerOp,
  buildLiquidation,
  buildOpenVault,
  buildRedemptionPayout,
  buildWithdraw,
  descriptorAddress,
  EsploraClient,
  emptyProof,
  parsePsbt,
  poolDescriptor,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  toOperation,
  type VaultDescriptor,
  vaultDescriptor,
  type WalletAccount,
  walletAccount,
  walletUtxo,
} from "../../src/btc/index.ts";
import { type PriceFeed, startPriceFeed } from "../../src/devnet/pricefeed.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import {
  collectCosignatures,
  cosignFinalizeBroadcast,
  type GuardianEndpoint,
} from "../../src/guardian/client.ts";
import { guardianSetOf } from "../../src/guardian/daemon.ts";
import { combineSignatures, decodeAttestation, encodeAttestation } from "../../src/oracle/index.ts";
import { apply, cloneState, type Operation, type ProtocolEvent } from "../../src/protocol/index.ts";
import { compressProof, proofFromJson, prove, type ZkOperation } from "../../src/zk/index.ts";
import { nodeArtifacts, terminateProver } from "../../src/zk/node.ts";
import { startFederation, type TestFederation, waitFor } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const RATE = 2;

let devnet: Devnet;
let feed: PriceFeed;
let esplora: EsploraClient;
let fed: TestFederation;
let endpoints: GuardianEndpoint[];
const artifacts = nodeArtifacts();
const answersLog: { step: string; answers: string[] }[] = [];

class Wallet {
  readonly priv = secp256k1.utils.randomSecretKey();
  readonly account: WalletAccount = walletAccount(
    secp256k1.getPublicKey(this.priv, true),
    "p2wpkh",
    "regtest",
  );
  get address() {
    return this.account.address;
  }
  async opts(extra: { changeAddress?: string; feeRate?: number } = {}) {
    const utxos = (await esplora.addressUtxos(this.address)).map((u) =>
      walletUtxo(this.account, "regtest", { txid: u.txid, vout: u.vout, value: BigInt(u.value) }),
    );
    return {
      network: "regtest" as const,
      wallet: this.account,
      walletUtxos: utxos,
      feeRate: extra.feeRate ?? RATE,
      strategy: "largestFirst" as const,
      ...extra,
    };
  }
  sign(built: BuiltPsbt): Uint8Array {
    return signPsbtInputs(built.psbt, this.priv, built.signInputs[this.address]!);
  }
}

const keeper = new Wallet();
const alice = new Wallet();
const bob = new Wallet();
const carol = new Wallet();
const dave = new Wallet();

const g = (i: number) => fed.guardians[i]!;
const live = () => fed.guardians.filter((x) => x !== null);
const guardians = () => guardianSetOf(fed.federation);
const vaultOf = (w: Wallet): VaultDescriptor =>
  vaultDescriptor({ owner: w.account.publicKey, guardians: guardians() });
const pool = () => poolDescriptor(guardians());

async function latestAttestation(minPrice = 0n, maxPrice = 10n ** 30n): Promise<Uint8Array> {
  return waitFor("a quorum price attestation", async () => {
    const res = await fetch(`${g(0).url}/v1/price`);
    if (!res.ok) return undefined;
    const body = (await res.json()) as { attestation: string; price: string };
    const p = BigInt(body.price);
    return p >= minPrice && p <= maxPrice ? Uint8Array.from(Buffer.from(body.attestation, "hex")) : undefined;
  });
}

const spellOf = (op: SpellOperation, attestation: Uint8Array, proof = emptyProof()): Spell => ({
  version: 1,
  op,
  attestation,
  proof,
});

/** Mines one block and waits until every live guardian has applied it. */
async function mine(): Promise<void> {
  await devnet.mine(1);
  const h = devnet.chain.height;
  await waitFor("guardians to sync", () => (live().every((x) => x.chain.height >= h) ? true : undefined));
}

/** The wallet signs alone (no custody input), broadcasts, mines; the spell must have been applied. */
async function sendWalletOnly(w: Wallet, built: BuiltPsbt): Promise<string> {
  const { finalizePsbt } = await import("../../src/btc/index.ts");
  const final = finalizePsbt(w.sign(built));
  const txid = await esplora.broadcast(final.hex);
  await mine();
  const rec = await g(0).chain.spellOf(txid);
  expect(rec, "the guardian saw the spell").toBeDefined();
  expect(rec!.ok ? "applied" : rec!.reason.message).toBe("applied");
  return txid;
}

async function cosignAndSend(step: string, w: Wallet, built: BuiltPsbt): Promise<string> {
  const { txid, answers } = await cosignFinalizeBroadcast(endpoints, w.sign(built), esplora, {
    threshold: 2,
    timeoutMs: 60_000,
  });
  answersLog.push({ step, answers: answers.map((a) => `${a.guardian}:${a.status}`) });
  expect(answers.filter((a) => a.status === "signed").length).toBe(2);
  await mine();
  const rec = await g(0).chain.spellOf(txid);
  expect(rec?.ok ? "applied" : rec?.reason.message).toBe("applied");
  return txid;
}

/** What the engine does with `op` now (the app's own replay), from guardian-0's state. */
function engineEvents(op: Operation, time: bigint): ProtocolEvent[] {
  const s = cloneState(g(0).chain.state);
  const r = apply(s, op, { height: s.height + 1n, time });
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.events;
}

async function proofFor(op: ZkOperation, attestation: Uint8Array): Promise<Uint8Array> {
  const a = decodeAttestation(attestation);
  const r = await prove(
    op,
    g(0).chain.state,
    {
      time: BigInt(a.timestamp),
      attestation: { price: a.price, timestamp: BigInt(a.timestamp), round: a.round },
    },
    artifacts,
    { singleThread: true },
  );
  return compressProof(proofFromJson(r.proof));
}

async function setPrice(attestation: Uint8Array): Promise<void> {
  const price = decodeAttestation(attestation).price;
  await sendWalletOnly(
    keeper,
    buildLedgerOp(await keeper.opts(), { spell: spellOf({ type: "setPrice", price }, attestation) }),
  );
  expect(g(0).chain.state.g.price).toBe(price);
}

async function refusal(psbt: Uint8Array, guardian = 0): Promise<{ code: string; reason: string }> {
  const res = await fetch(`${g(guardian).url}/v1/cosign`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ psbt: base64.encode(psbt) }),
  });
  const body = (await res.json()) as { error?: { code: string; reason: string }; psbt?: string };
  expect(res.status).toBe(422);
  expect(body.psbt).toBeUndefined();
  return body.error!;
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0 });
  feed = await startPriceFeed({ price: "97000" });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1, backoffMs: 50 });
  for (const w of [keeper, alice, bob, carol, dave]) await devnet.faucet(w.address, 100_000_000n);
  await devnet.mine(1);
  // The protocol starts with the dev chain (block 1): the devnet mines its first 500 blocks with header
  // times running ahead of the wall clock, and the genesis state takes its time from the block before.
  fed = await startFederation({ esploraUrl: devnet.url, feed, startHeight: 1 });
  endpoints = fed.federation.members.map((m) => ({ name: m.name, url: m.url }));
}, 180_000);

afterAll(async () => {
  if (answersLog.length)
    console.table(answersLog.map((a) => ({ step: a.step, answers: a.answers.join(" ") })));
  await fed?.stopAll();
  await feed?.close();
  await devnet?.close();
  await terminateProver();
});

describe("guardian federation on regtest (2-of-3, one guardian down)", () => {
  let withdrawAtt: Uint8Array;

  it("the three guardians attest the feed's price and a keeper puts it on chain", async () => {
    const att = await latestAttestation();
    expect(decodeAttestation(att).signatures.length).toBeGreaterThanOrEqual(2);
    await setPrice(att);
    for (const x of live()) expect(x.chain.state.g.price).toBe(decodeAttestation(att).price);
  }, 60_000);

  it("opens vaults (wallet only) and funds the stability pool", async () => {
    const att = await latestAttestation();
    const open = async (w: Wallet, btcSats: bigint, borrow: bigint) =>
      sendWalletOnly(
        w,
        buildOpenVault(await w.opts(), {
          spell: spellOf(
            {
              type: "openVault",
              collateral: btcSats * SAT,
              borrow: borrow * E18,
              maxFee: 5n * 10n ** 16n,
              ownerKey: w.account.publicKey,
              vaultOutput: 0, // buildOpenVault pays the vault first
            },
            att,
          ),
          vault: vaultOf(w),
          collateralSats: btcSats,
        }),
      );
    await open(alice, 50_000_000n, 3_000n);
    await open(bob, 20_000_000n, 4_000n);
    await open(dave, 10_000_000n, 2_000n);
    await open(carol, 5_000_000n, 3_800n);
    expect(g(0).chain.state.g.activeVaults).toBe(4n);
    // Alice puts 2,500 zkUSD into the stability pool; Bob gives Dave the fee he needs to close and the keeper zkUSD to redeem.
    await sendWalletOnly(
      alice,
      buildLedgerOp(await alice.opts(), {
        spell: spellOf({ type: "poolDeposit", amount: 2_500n * E18 }, new Uint8Array(0)),
      }),
    );
    await sendWalletOnly(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: dave.address, amount: 100n * E18 }, new Uint8Array(0)),
      }),
    );
    await sendWalletOnly(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: keeper.address, amount: 1_000n * E18 }, new Uint8Array(0)),
      }),
    );
    // guardian-2 goes down for every custody spend that follows.
    await fed.stop(2);
  }, 120_000);

  it("refuses a withdrawal PSBT that pays more than the spell, a changed change address and a failing proof — signing nothing", async () => {
    withdrawAtt = await latestAttestation();
    const amount = 1_000_000n;
    const op: ZkOperation = { type: "adjustVault", owner: alice.address, withdrawCollateral: amount * SAT };
    const proof = await proofFor(op, withdrawAtt);
    const spell = spellOf({ type: "adjustVault", withdrawCollateral: amount * SAT }, withdrawAtt, proof);
    const utxos = (await esplora.addressUtxos(descriptorAddress(vaultOf(alice), "regtest"))).map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
    }));

    const greedy = buildWithdraw(await alice.opts(), {
      spell,
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: amount + 50_000n,
    });
    const r1 = await refusal(alice.sign(greedy));
    expect(r1.reason).toMatch(
      /outputMismatch: the spell requires a payout to .* of 1000000 sats, but output \d pays 1050000 sats/,
    );

    const changed = buildWithdraw(await alice.opts({ changeAddress: bob.address }), {
      spell,
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: amount,
    });
    const r2 = await refusal(alice.sign(changed));
    expect(r2.reason).toMatch(
      /changeMismatch: output \d pays \d+ sats to bcrt1\w+, which is neither what the spell pays nor change to the actor/,
    );

    const badProof = proof.slice();
    badProof[40] = (badProof[40] ?? 0) ^ 0x01;
    const broken = buildWithdraw(await alice.opts(), {
      spell: spellOf({ type: "adjustVault", withdrawCollateral: amount * SAT }, withdrawAtt, badProof),
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: amount,
    });
    expect((await refusal(alice.sign(broken))).reason).toMatch(
      /badProof: the withdraw proof does not verify/,
    );
    // A proof for a different amount fails too (the operation hash binds the amount).
    const other = buildWithdraw(await alice.opts(), {
      spell: spellOf({ type: "adjustVault", withdrawCollateral: (amount + 1n) * SAT }, withdrawAtt, proof),
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: amount + 1n,
    });
    expect((await refusal(alice.sign(other))).reason).toMatch(/badProof/);
    // Nothing was recorded as signed.
    const status = (await (await fetch(`${g(0).url}/v1/status`)).json()) as { signedOutpoints: number };
    expect(status.signedOutpoints).toBe(0);
  }, 120_000);

  it("refuses a stale price: a quorum attestation signed 10 minutes ago", async () => {
    const a = decodeAttestation(withdrawAtt);
    const statement = { price: a.price, timestamp: a.timestamp - 600, round: a.round - 600n };
    const stale = encodeAttestation(
      combineSignatures(statement, [
        fed.keys[0]!.signPrice(statement, 0),
        fed.keys[1]!.signPrice(statement, 1),
      ]),
    );
    const utxos = (await esplora.addressUtxos(descriptorAddress(vaultOf(alice), "regtest"))).map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
    }));
    const built = buildWithdraw(await alice.opts(), {
      spell: spellOf(
        { type: "adjustVault", withdrawCollateral: 1_000_000n * SAT },
        stale,
        new Uint8Array(128).fill(1),
      ),
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: 1_000_000n,
    });
    expect((await refusal(alice.sign(built))).reason).toMatch(
      /stalePrice: the attested price is 6\d\d s old .* the limit is 300 s/,
    );
  }, 60_000);

  it("withdraws with 2 of 3 guardians and refuses to sign the same vault input into another spend", async () => {
    const amount = 1_000_000n;
    const proof = await proofFor(
      { type: "adjustVault", owner: alice.address, withdrawCollateral: amount * SAT },
      withdrawAtt,
    );
    const spell = spellOf({ type: "adjustVault", withdrawCollateral: amount * SAT }, withdrawAtt, proof);
    const utxos = (await esplora.addressUtxos(descriptorAddress(vaultOf(alice), "regtest"))).map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
    }));
    const built = buildWithdraw(await alice.opts(), {
      spell,
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: amount,
    });
    const signedByWallet = alice.sign(built);
    const outcome = await collectCosignatures(endpoints, signedByWallet, { threshold: 2 });
    expect(outcome.quorum).toBe(true);
    expect(outcome.answers.find((a) => a.guardian === "guardian-2")?.status).toBe("unreachable");
    // The same vault input in a different transaction (another fee rate): refused by a guardian that signed.
    const rival = buildWithdraw(await alice.opts({ feeRate: 5 }), {
      spell,
      vault: vaultOf(alice),
      vaultUtxos: utxos,
      amountSats: amount,
    });
    expect(parsePsbt(rival.psbt).id).not.toBe(parsePsbt(built.psbt).id);
    expect((await refusal(alice.sign(rival))).reason).toMatch(
      /alreadySpending: input \d \(\w+:\d\) is already being spent by \w+ \(adjustVault\)/,
    );
    // The original goes through.
    const txid = await cosignAndSend("withdraw", alice, built);
    const tx = await esplora.tx(txid);
    expect(tx.vout.some((o) => o.scriptpubkey_address === alice.address && o.value === 1_000_000)).toBe(true);
    expect(g(0).chain.state.g.activeColl).toBe((85_000_000n - 1_000_000n) * SAT);
  }, 120_000);

  it("closes a vault (owner + 2 guardians)", async () => {
    const att = await latestAttestation();
    const vaultUtxos = (await esplora.addressUtxos(descriptorAddress(vaultOf(dave), "regtest"))).map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
    }));
    const built = buildClose(await dave.opts(), {
      spell: spellOf({ type: "closeVault" }, att),
      vault: vaultOf(dave),
      vaultUtxos,
    });
    await cosignAndSend("close", dave, built);
    expect(await esplora.addressUtxos(descriptorAddress(vaultOf(dave), "regtest"))).toEqual([]);
    expect(g(0).chain.state.g.activeVaults).toBe(3n);
  }, 120_000);

  it("the price drops on the feed; guardians attest it at once; the vault below MCR is liquidated into the pool", async () => {
    feed.setPrice("80000");
    const att = await latestAttestation(79_000n * E18, 81_000n * E18);
    await setPrice(att);
    const op: Operation = { type: "liquidate", owner: carol.address, liquidator: keeper.address };
    const events = engineEvents(op, BigInt(decodeAttestation(att).timestamp));
    const liq = events.find((e) => e.type === "Liquidation") as Extract<
      ProtocolEvent,
      { type: "Liquidation" }
    >;
    const proof = new Uint8Array(128); // liquidation has no circuit (docs/zk.md)
    const utxos = (await esplora.addressUtxos(descriptorAddress(vaultOf(carol), "regtest"))).map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
    }));
    const built = buildLiquidation(await keeper.opts(), {
      spell: spellOf({ type: "liquidate", owner: carol.address }, att, proof),
      vaults: [{ vault: vaultOf(carol), utxos }],
      compensationSats: liq.paidSats,
      pool: pool(),
    });
    await cosignAndSend("liquidate", keeper, built);
    expect(await esplora.addressUtxos(descriptorAddress(vaultOf(carol), "regtest"))).toEqual([]);
    const poolUtxos = await esplora.addressUtxos(descriptorAddress(pool(), "regtest"));
    expect(poolUtxos.reduce((a, u) => a + u.value, 0)).toBe(5_000_000 - Number(liq.paidSats));
  }, 180_000);

  it("the depositor claims her pool gains from the guardian pool", async () => {
    const op: Operation = { type: "claimGains", owner: alice.address };
    const gained = engineEvents(op, g(0).chain.state.g.time).find(
      (e) => e.type === "GainsClaimed",
    ) as Extract<ProtocolEvent, { type: "GainsClaimed" }>;
    expect(gained.paidSats).toBeGreaterThan(0n);
    const poolUtxos = (await esplora.addressUtxos(descriptorAddress(pool(), "regtest"))).map((u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
    }));
    const built = buildClaimGains(await alice.opts(), {
      spell: spellOf({ type: "claimGains" }, new Uint8Array(0)),
      pool: pool(),
      poolUtxos,
      amountSats: gained.paidSats,
    });
    const txid = await cosignAndSend("claimGains", alice, built);
    expect(
      (await esplora.tx(txid)).vout.some(
        (o) => o.scriptpubkey_address === alice.address && BigInt(o.value) === gained.paidSats,
      ),
    ).toBe(true);
  }, 120_000);

  it("redeems zkUSD for BTC from the riskiest vault (guardians alone move it)", async () => {
    const att = await latestAttestation(79_000n * E18, 81_000n * E18);
    const op = toOperation({ type: "redeem", amount: 500n * E18, maxFee: 5n * 10n ** 16n }, keeper.address);
    const events = engineEvents(op, BigInt(decodeAttestation(att).timestamp));
    const redeemed = events.filter((e) => e.type === "VaultRedeemed") as Extract<
      ProtocolEvent,
      { type: "VaultRedeemed" }
    >[];
    expect(redeemed.map((r) => r.owner)).toEqual([bob.address]);
    const vaults = [];
    for (const r of redeemed) {
      const v = vaultOf(r.owner === bob.address ? bob : alice);
      const utxos = (await esplora.addressUtxos(descriptorAddress(v, "regtest"))).map((u) => ({
        txid: u.txid,
        vout: u.vout,
        value: BigInt(u.value),
      }));
      vaults.push({ vault: v, utxos, payoutSats: r.collateral / SAT });
    }
    const total = events.find((e) => e.type === "Redeemed") as Extract<ProtocolEvent, { type: "Redeemed" }>;
    expect(total.paidSats).toBeLessThan(redeemed[0]!.collateral / SAT); // the fee stays with the protocol
    const spell = spellOf({ type: "redeem", amount: 500n * E18, maxFee: 5n * 10n ** 16n }, att);
    // Paying the redeemer the whole drawn collateral (the fee included) is refused.
    const greedy = buildRedemptionPayout(await keeper.opts(), { spell, vaults });
    expect((await refusal(keeper.sign(greedy))).reason).toMatch(/outputMismatch/);
    const built = buildRedemptionPayout(await keeper.opts(), {
      spell,
      vaults,
      fee: { redeemerSats: total.paidSats, pool: pool() },
    });
    const txid = await cosignAndSend("redeem", keeper, built);
    const outs = (await esplora.tx(txid)).vout;
    expect(
      outs.some((o) => o.scriptpubkey_address === keeper.address && BigInt(o.value) === total.paidSats),
    ).toBe(true);
    const poolAddress = descriptorAddress(pool(), "regtest");
    expect(
      outs.some(
        (o) =>
          o.scriptpubkey_address === poolAddress &&
          BigInt(o.value) === redeemed[0]!.collateral / SAT - total.paidSats,
      ),
    ).toBe(true);
  }, 120_000);

  it("serves the chain, vaults, events, pool and prices over /v1 (brotli when asked)", async () => {
    const get = async (path: string) => {
      const res = await fetch(`${g(1).url}${path}`, { headers: { "accept-encoding": "br" } });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const status = (await get("/v1/status")) as {
      chain: { height: number; lag: number; stateRoot: string };
      custodySet: { threshold: number };
    };
    expect(status.chain.lag).toBe(0);
    expect(status.chain.stateRoot).toBe(g(0).chain.root());
    expect(status.custodySet.threshold).toBe(2);
    const federation = await get("/v1/federation");
    expect(federation).toMatchObject({
      network: "regtest",
      threshold: 2,
      oracleThreshold: 2,
      startHeight: 1,
      members: fed.federation.members,
    });
    const vaults = (await get("/v1/vaults")) as { total: number; vaults: { owner: string }[] };
    expect(vaults.total).toBe(2); // Alice and Bob; Carol liquidated, Dave closed
    const one = (await get(`/v1/vaults/${alice.address}`)) as {
      vault: { owner: string };
      deposit: { initial: string };
    };
    expect(one.vault.owner).toBe(alice.address);
    expect(((await get(`/v1/vaults/${dave.address}`)) as { vault: { status: string } }).vault.status).toBe(
      "closedByOwner",
    );
    expect(((await get(`/v1/vaults/${carol.address}`)) as { vault: { status: string } }).vault.status).toBe(
      "closedByLiquidation",
    );
    expect((await fetch(`${g(1).url}/v1/vaults/bcrt1qnobody`)).status).toBe(404);
    const risk = (await get("/v1/vaults/at-risk?below=5000000000000000000")) as {
      vaults: { owner: string }[];
    };
    expect(risk.vaults.map((v) => v.owner)).toContain(bob.address);
    const liq = (await get("/v1/events?type=VaultLiquidated")) as { events: { event: { owner: string } }[] };
    expect(liq.events.map((e) => e.event.owner)).toEqual([carol.address]);
    const pool = (await get("/v1/pool")) as { address: string; onChainSats: number };
    expect(pool.address).toBe(descriptorAddress(poolDescriptor(guardians()), "regtest"));
    expect(pool.onChainSats).toBeGreaterThan(0);
    const spells = (await get("/v1/spells?limit=100")) as { spells: { ok: boolean }[] };
    expect(spells.spells.every((s) => s.ok)).toBe(true);
    expect(
      ((await get("/v1/attestations")) as { attestations: unknown[] }).attestations.length,
    ).toBeGreaterThanOrEqual(1);
  });

  it("every live guardian reached the same state root", async () => {
    const roots = live().map((x) => x.chain.root());
    expect(new Set(roots).size).toBe(1);
  });
});
