/**
 * The guardian federation end to end on the real regtest node (bcoin devnet) with the dev price feed:
 * three guardian daemons (2-of-3) follow the chain and attest prices; users open vaults with their BTC
 * (wallet only), fund the pool and transfer zkUSD; the guardians serve the API and custody view and
 * offer no co-signing. Payouts are settlements: test/guardian/settlement.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltPsbt,
  buildLedgerOp,
  buildOpenVault,
  descriptorAddress,
  poolDescriptor,
} from "../../src/btc/index.ts";
import { guardianSetOf } from "../../src/guardian/daemon.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { type RegtestStack, spellOf, startRegtestStack, type TestWallet } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;

let s: RegtestStack;
let keeper: TestWallet;
let alice: TestWallet;
let bob: TestWallet;
let carol: TestWallet;
let dave: TestWallet;

const g = (i: number) => s.g(i);
const live = () => s.live();
const guardians = () => guardianSetOf(s.fed.federation);

/** The wallet signs alone (no custody input), broadcasts, mines; the spell must have been applied. */
async function sendWalletOnly(w: TestWallet, built: BuiltPsbt): Promise<string> {
  const txid = await s.broadcast(w, built);
  const rec = await g(0).chain.spellOf(txid);
  expect(rec, "the guardian saw the spell").toBeDefined();
  expect(rec!.ok ? "applied" : rec!.reason.message).toBe("applied");
  return txid;
}

async function setPrice(attestation: Uint8Array): Promise<void> {
  const price = decodeAttestation(attestation).price;
  await sendWalletOnly(
    keeper,
    buildLedgerOp(await keeper.opts(), { spell: spellOf({ type: "setPrice", price }, attestation) }),
  );
  expect(g(0).chain.state.g.price).toBe(price);
}

beforeAll(async () => {
  s = await startRegtestStack();
  keeper = await s.wallet();
  alice = await s.wallet();
  bob = await s.wallet();
  carol = await s.wallet();
  dave = await s.wallet();
  await s.mine();
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await s?.close();
});

describe("guardian federation on regtest (2-of-3, one guardian down)", () => {
  it("the three guardians attest the feed's price and a keeper puts it on chain", async () => {
    const att = await s.attestation();
    expect(decodeAttestation(att).signatures.length).toBeGreaterThanOrEqual(2);
    await setPrice(att);
    for (const x of live()) expect(x.chain.state.g.price).toBe(decodeAttestation(att).price);
  }, 60_000);

  it("opens vaults (wallet only) and funds the stability pool", async () => {
    const att = await s.attestation();
    const open = async (w: TestWallet, btcSats: bigint, borrow: bigint) =>
      sendWalletOnly(
        w,
        buildOpenVault(await w.opts(), {
          // proven on the guardians' state (every vault operation carries its proof)
          spell: await proveSpell(
            spellOf(
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
            w.address,
            g(0).chain.state,
          ),
          vault: s.vaultOf(w),
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
    await s.fed.stop(2);
  }, 120_000);

  it("has no co-sign route: guardians sign no user transaction (docs/decisions.md §2a rule 2)", async () => {
    for (const x of live()) {
      const res = await fetch(`${x.url}/v1/cosign`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ psbt: "cHNidP8=" }),
      });
      expect(res.status).toBe(404);
    }
  });

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
      members: s.fed.federation.members,
    });
    const vaults = (await get("/v1/vaults")) as { total: number; vaults: { owner: string }[] };
    expect(vaults.total).toBe(4); // the payout journeys are settlements now (test/guardian/settlement.test.ts)
    const one = (await get(`/v1/vaults/${alice.address}`)) as {
      vault: { owner: string };
      deposit: { initial: string };
    };
    expect(one.vault.owner).toBe(alice.address);
    expect(((await get(`/v1/vaults/${dave.address}`)) as { vault: { status: string } }).vault.status).toBe(
      "active",
    );
    expect((await fetch(`${g(1).url}/v1/vaults/bcrt1qnobody`)).status).toBe(404);
    const risk = (await get("/v1/vaults/at-risk?below=5000000000000000000")) as {
      vaults: { owner: string }[];
    };
    expect(risk.vaults.map((v) => v.owner)).toContain(bob.address);
    const opened = (await get("/v1/events?type=VaultOpened")) as { events: unknown[] };
    expect(opened.events).toHaveLength(4);
    const pool = (await get("/v1/pool")) as { address: string; onChainSats: number };
    expect(pool.address).toBe(descriptorAddress(poolDescriptor(guardians()), "regtest"));
    const custody = (await get("/v1/custody")) as {
      custody: { coins: unknown[] };
      invariants: { status: string };
    };
    expect(custody.custody.coins).toHaveLength(4); // each vault's coin, paid in its open transaction
    expect(custody.invariants.status).toBe("ok");
    const spells = (await get("/v1/spells?limit=100")) as { spells: { ok: boolean }[] };
    expect(spells.spells.every((x) => x.ok)).toBe(true);
    expect(
      ((await get("/v1/attestations")) as { attestations: unknown[] }).attestations.length,
    ).toBeGreaterThanOrEqual(1);
  });

  it("every live guardian reached the same state root", async () => {
    const roots = live().map((x) => x.chain.root());
    expect(new Set(roots).size).toBe(1);
  });
});
