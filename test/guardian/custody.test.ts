/**
 * Issue 13, phase 1: the attacks of the issue against the real regtest node (bcoin devnet) and three
 * guardian daemons (2-of-3), each refused with no BTC moved:
 *  - a phantom open (an openVault spell whose transaction locks nothing) and an underfunded open
 *    (10 BTC claimed, 1,000 sats locked) are rejected by every guardian's replay (custodyMismatch);
 *  - a co-sign request whose input 0 `witnessUtxo` lies about whose coin it is, and two different
 *    co-sign requests for one vault outpoint at the same moment: phase 1 refused the lie (input 0 read
 *    from the chain) and signed one of the two; since phase 2 guardians sign no user transaction at
 *    all (404), and settlements are reserved per coin (src/guardian/settle.test.ts).
 */
import { base64 } from "@scure/base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltPsbt,
  buildLedgerOp,
  buildOpenVault,
  buildRedemptionPayout,
  descriptorAddress,
  poolDescriptor,
  type SpellOperation,
  toOperation,
  walletUtxo,
} from "../../src/btc/index.ts";
import { guardianSetOf } from "../../src/guardian/daemon.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import { apply, cloneState, type ProtocolEvent } from "../../src/protocol/index.ts";
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { type RegtestStack, spellOf, startRegtestStack, type TestWallet } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const RATE = 2;

let st: RegtestStack;
let keeper: TestWallet;
let alice: TestWallet;
let bob: TestWallet;
let mallory: TestWallet;

const g = (i: number) => st.g(i);
const guardians = () => guardianSetOf(st.fed.federation);
const vaultOf = (w: TestWallet) => st.vaultOf(w);

/**
 * The open spell of `w` locking `sats` in output `vout` of its own transaction (docs/decisions.md §2a rule 1 and
 * "Owner keys": the spell names its vault output and carries the owner's key).
 */
const openOp = (w: TestWallet, sats: bigint, borrow: bigint, vout = 0): SpellOperation => ({
  type: "openVault",
  collateral: sats * SAT,
  borrow: borrow * E18,
  maxFee: 5n * 10n ** 16n,
  ownerKey: w.account.publicKey,
  vaultOutput: vout,
});

/** Signs with the wallet alone, broadcasts and mines; returns the txid (the spell may be refused). */
const send = (w: TestWallet, built: BuiltPsbt) => st.broadcast(w, built);
const verdicts = (txid: string) => st.verdicts(txid);

async function cosign(
  psbt: Uint8Array,
  guardian = 0,
): Promise<{ status: number; code?: string; reason?: string }> {
  const res = await fetch(`${g(guardian).url}/v1/cosign`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ psbt: base64.encode(psbt) }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code: string; reason: string };
    psbt?: string;
  };
  expect(body.psbt).toBeUndefined();
  return { status: res.status, ...(body.error ? { code: body.error.code, reason: body.error.reason } : {}) };
}

const vaultUtxos = async (w: TestWallet) =>
  (await st.esplora.addressUtxos(descriptorAddress(vaultOf(w), "regtest"))).map((u) => ({
    txid: u.txid,
    vout: u.vout,
    value: BigInt(u.value),
  }));

beforeAll(async () => {
  st = await startRegtestStack();
  keeper = await st.wallet();
  alice = await st.wallet();
  bob = await st.wallet();
  mallory = await st.wallet();
  await st.mine();
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await st?.close();
});

describe("custody attacks on regtest (three guardians, 2-of-3)", () => {
  it("honest setup: a price on chain, two vaults opened with their BTC, zkUSD to the keeper", async () => {
    const att = await st.attestation();
    const price = decodeAttestation(att).price;
    await send(
      keeper,
      buildLedgerOp(await keeper.opts(), { spell: spellOf({ type: "setPrice", price }, att) }),
    );
    expect(g(0).chain.state.g.price).toBe(price);
    for (const [w, sats, borrow] of [
      [alice, 50_000_000n, 3_000n],
      [bob, 20_000_000n, 4_000n],
    ] as const) {
      const txid = await send(
        w,
        buildOpenVault(await w.opts(), {
          // proven on the guardians' state (every vault operation carries its proof)
          spell: await proveSpell(
            spellOf(openOp(w, sats, borrow), await st.attestation()),
            w.address,
            g(0).chain.state,
          ),
          vault: vaultOf(w),
          collateralSats: sats,
        }),
      );
      expect(await verdicts(txid)).toEqual(["applied", "applied", "applied"]);
    }
    await send(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: keeper.address, amount: 1_000n * E18 }, new Uint8Array(0)),
      }),
    );
    expect(g(0).chain.state.g.activeVaults).toBe(2n);
  }, 120_000);

  it("a phantom open (10 BTC claimed, no vault output) is rejected by all three guardians", async () => {
    const before = g(0).chain.root();
    const txid = await send(
      mallory,
      buildLedgerOp(await mallory.opts(), {
        spell: spellOf(openOp(mallory, 1_000_000_000n, 200_000n), await st.attestation()),
      }),
    );
    expect(await verdicts(txid)).toEqual(["custodyMismatch", "custodyMismatch", "custodyMismatch"]);
    for (let i = 0; i < 3; i++)
      expect(g(i).chain.state.accounts.get(mallory.address)?.status ?? "none").not.toBe("active");
    expect(g(0).chain.root()).toBe(before);
  }, 60_000);

  it("an underfunded open (10 BTC claimed, 1,000 sats locked) is rejected by all three guardians", async () => {
    const txid = await send(
      mallory,
      buildOpenVault(await mallory.opts(), {
        spell: spellOf(openOp(mallory, 1_000_000_000n, 200_000n), await st.attestation()),
        vault: vaultOf(mallory),
        collateralSats: 1_000n,
      }),
    );
    expect(await verdicts(txid)).toEqual(["custodyMismatch", "custodyMismatch", "custodyMismatch"]);
    for (let i = 0; i < 3; i++)
      expect(g(i).chain.state.accounts.get(mallory.address)?.status ?? "none").not.toBe("active");
    expect(g(0).chain.state.g.activeVaults).toBe(2n);
  }, 60_000);

  /** A redemption of the keeper's 500 zkUSD from Bob's vault, as the guardians would pay it now. */
  async function redemption(walletUtxos: Awaited<ReturnType<TestWallet["utxos"]>>, feeRate = RATE) {
    const att = await st.attestation();
    const op = toOperation({ type: "redeem", amount: 500n * E18, maxFee: 5n * 10n ** 16n }, keeper.address);
    const s = cloneState(g(0).chain.state);
    const r = apply(s, op, { height: s.height + 1n, time: BigInt(decodeAttestation(att).timestamp) });
    if (!r.ok) throw new Error(r.error.message);
    const redeemed = r.events.filter((e) => e.type === "VaultRedeemed") as Extract<
      ProtocolEvent,
      { type: "VaultRedeemed" }
    >[];
    const paid = r.events.find((e) => e.type === "Redeemed") as Extract<ProtocolEvent, { type: "Redeemed" }>;
    expect(redeemed.map((x) => x.owner)).toEqual([bob.address]);
    return buildRedemptionPayout(
      { network: "regtest", wallet: keeper.account, walletUtxos, feeRate, strategy: "largestFirst" },
      {
        spell: spellOf({ type: "redeem", amount: 500n * E18, maxFee: 5n * 10n ** 16n }, att),
        vaults: [
          { vault: vaultOf(bob), utxos: await vaultUtxos(bob), payoutSats: redeemed[0]!.collateral / SAT },
        ],
        fee: { redeemerSats: paid.paidSats, pool: poolDescriptor(guardians()) },
      },
    );
  }

  it("a co-sign request whose input 0 witnessUtxo lies (claims the keeper's coin, spends Mallory's) finds no co-signing guardian", async () => {
    // Mallory holds no zkUSD. She spends her own coin as input 0 but labels it the keeper's (who holds
    // 1,000 zkUSD) in the PSBT: script and amount of the keeper's address.
    const real = (await mallory.utxos())[0]!;
    const lie = walletUtxo(keeper.account, "regtest", {
      txid: real.txid,
      vout: real.vout,
      value: real.value,
    });
    const built = await redemption([lie]);
    // Phase 2: guardians sign no user transaction at all; the route that took PSBTs is gone.
    for (let i = 0; i < 3; i++) expect((await cosign(built.psbt, i)).status, `guardian-${i}`).toBe(404);
    // Nothing was recorded as signed, and Bob's vault still holds every sat.
    for (let i = 0; i < 3; i++) {
      const status = (await (await fetch(`${g(i).url}/v1/status`)).json()) as { signedSettlements: number };
      expect(status.signedSettlements).toBe(0);
    }
    expect((await vaultUtxos(bob)).reduce((a, u) => a + u.value, 0n)).toBe(20_000_000n);
  }, 60_000);

  it("two different co-sign requests for one vault outpoint at the same moment: neither is signed", async () => {
    const utxos = await keeper.utxos();
    const a = await redemption(utxos, 2);
    const b = await redemption(utxos, 7);
    for (let i = 0; i < 3; i++) {
      const answers = await Promise.all([cosign(a.psbt, i), cosign(b.psbt, i)]);
      expect(
        answers.map((x) => x.status),
        `guardian-${i}`,
      ).toEqual([404, 404]);
    }
    // (Two settlements over one coin: SettlementLedger.reserveCoins, src/guardian/settle.test.ts.)
  }, 120_000);
});
