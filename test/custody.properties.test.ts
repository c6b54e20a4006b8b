/**
 * Custody property (issue 13, SPEC §2a): random histories on a simulated chain (test/indexer
 * memoryChain.ts through the real Indexer) of honest and hostile spells, guardian settlements and
 * reorgs. After every block the custody invariants hold; a hostile open or deposit changes nothing;
 * a settlement signed off-plan (one sat more to a payee) is refused and its spent coins are reported
 * as a custody breach, never absorbed.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { fromHex } from "../src/btc/scripts.ts";
import { encodeSpell, type SpellOperation } from "../src/btc/spell.ts";
import { Indexer } from "../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../src/protocol/index.ts";
import { checkInvariants, planSettlement, settleWindow } from "../src/settlement/index.ts";
import { MemoryStore } from "../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "./indexer/chain.ts";
import { type ChainTx, MemoryChain } from "./indexer/memoryChain.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;
const ACTORS = ["ann", "ben", "cat", "dan"] as const;

type Step =
  | { kind: "open"; who: number; sats: number; lie: "none" | "short" | "missing" | "otherScript" }
  | { kind: "deposit"; who: number; sats: number; lie: "none" | "short" }
  | { kind: "withdraw"; who: number; sats: number }
  | { kind: "settle"; offPlan: boolean }
  | { kind: "reorg"; depth: number }
  | { kind: "empty" };

const who = fc.integer({ min: 0, max: ACTORS.length - 1 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("open" as const),
      who,
      sats: fc.integer({ min: 20_000_000, max: 60_000_000 }),
      lie: fc.constantFrom("none" as const, "short" as const, "missing" as const, "otherScript" as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("deposit" as const),
      who,
      sats: fc.integer({ min: 10_000, max: 2_000_000 }),
      lie: fc.constantFrom("none" as const, "short" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("withdraw" as const),
      who,
      sats: fc.integer({ min: 50_000, max: 500_000 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("settle" as const), offPlan: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("reorg" as const), depth: fc.integer({ min: 1, max: 2 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "empty" as const }) },
);

const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });

/** The guardians' witness shape for a protocol coin (signatures are consensus's job on a real chain). */
const guardianWitness = (vault: boolean, witnessScript: string) => {
  const sig = Uint8Array.from([0x30, ...new Array(69).fill(2), 0x01]);
  return vault
    ? [new Uint8Array(0), sig, sig, Uint8Array.of(1), new Uint8Array(0), fromHex(witnessScript)]
    : [new Uint8Array(0), sig, sig, fromHex(witnessScript)];
};

beforeAll(() => initPoseidon());

const seen = { settlements: 0, breaches: 0 };

describe("custody over random histories", () => {
  it("invariants hold after every block; hostile inflows change nothing; off-plan settlements are breaches", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 14 }), async (steps) => {
        const chain = new MemoryChain(100, T0);
        const att = (n: number) => attest(PRICE, T0 + 60 * n, BigInt(n)).bytes;
        chain.mine([{ actor: "ann", payload: spell({ type: "setPrice", price: PRICE }, att(1)) }]);
        const indexer = await Indexer.open({
          store: new MemoryStore(),
          chain,
          startHeight: 101,
          params: { ...DEFAULT_PARAMS },
          verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
          custody: { ...TEST_CUSTODY, finality: 1 },
        });
        // Every actor opens a vault honestly first; the history then mixes honest and hostile steps.
        chain.mine(
          ACTORS.map((name, i) => ({
            actor: name,
            pay: [{ script: testVaultScript(MemoryChain.key(name)), sats: 30_000_000n }],
            payload: spell(
              {
                type: "openVault",
                collateral: 30_000_000n * SAT,
                borrow: 2_000n * E18,
                maxFee: E18,
                ownerKey: MemoryChain.key(name),
                vaultOutput: 0,
              },
              att(2 + i),
            ),
          })),
        );
        let round = 2 + ACTORS.length;
        const breaches: number[] = [];
        for (const s of steps) {
          const txs: ChainTx[] = [];
          let expectBreach = false;
          const name = ACTORS[(s as { who?: number }).who ?? 0]!;
          const key = MemoryChain.key(name);
          if (s.kind === "open") {
            const pay = BigInt(s.sats);
            const paid = s.lie === "short" ? pay - 1n : pay;
            const script =
              s.lie === "otherScript" ? testVaultScript(MemoryChain.key("zed")) : testVaultScript(key);
            txs.push({
              actor: name,
              pay: s.lie === "missing" ? [] : [{ script, sats: paid }],
              payload: spell(
                {
                  type: "openVault",
                  collateral: pay * SAT,
                  borrow: 2_000n * E18,
                  maxFee: E18,
                  ownerKey: key,
                  ...(s.lie === "missing" ? {} : { vaultOutput: 0 }),
                },
                att(round++),
              ),
            });
          } else if (s.kind === "deposit") {
            const pay = BigInt(s.sats);
            txs.push({
              actor: name,
              pay: [{ script: testVaultScript(key), sats: s.lie === "short" ? pay - 1n : pay }],
              payload: spell(
                { type: "adjustVault", depositCollateral: pay * SAT, vaultOutput: 0 },
                att(round++),
              ),
            });
          } else if (s.kind === "withdraw") {
            txs.push({
              actor: name,
              payload: spell({ type: "adjustVault", withdrawCollateral: BigInt(s.sats) * SAT }, att(round++)),
            });
          } else if (s.kind === "settle") {
            // Finality 1 on this chain: everything up to the head may be named.
            const basis = indexer.head.height;
            const ids = settleWindow(indexer.state, basis)
              .slice(0, 20)
              .map((o) => o.id);
            const plan = ids.length > 0 ? planSettlement(indexer.state, ids, 2_000, TEST_CUSTODY) : undefined;
            if (plan?.ok) {
              const outputs = plan.plan.outputs.filter((o) => o.kind !== "spell");
              const pay = outputs.map((o) => ({ script: fromHex(o.script), sats: o.sats }));
              const payout = outputs.findIndex((o) => o.kind === "payout");
              if (s.offPlan && payout >= 0) {
                // One sat more to the payee, one less back to custody: signed, but not the plan.
                pay[payout]!.sats += 1n;
                pay[pay.length - 1]!.sats -= 1n;
                expectBreach = true;
              }
              txs.push({
                actor: null,
                spend: plan.plan.inputs.map((i) => ({
                  txid: i.txid,
                  vout: i.vout,
                  witness: guardianWitness(i.owner !== null, i.witnessScript),
                })),
                pay,
                payload: plan.plan.spellBytes,
              });
            }
          } else if (s.kind === "reorg") {
            if (chain.height - s.depth > indexer.head.height - 12 && chain.height - s.depth > 101)
              chain.reorg(s.depth);
          }
          chain.mine(txs);
          await indexer.sync();
          const report = checkInvariants(indexer.state);
          const events = (await indexer.store.events({ order: "desc", limit: 100 })).events;
          const breachHere = events.some(
            (e) => e.height === indexer.head.height && e.type === "CustodyBreach",
          );
          const applied = events.some(
            (e) => e.height === indexer.head.height && e.type === "SettlementApplied",
          );
          if (applied) seen.settlements++;
          if (expectBreach) {
            expect(breachHere).toBe(true);
            seen.breaches++;
            breaches.push(indexer.head.height);
            // A breach is custody lost, never absorbed: the invariants now say so.
            expect(report.ok).toBe(false);
            return; // the rest of this history runs on a broken custody; the property is shown
          }
          expect(report.problems).toEqual([]);
        }
      }),
      { numRuns: 25 },
    );
    // The histories did exercise both: honest settlements applied, off-plan ones reported.
    expect(seen.settlements).toBeGreaterThan(0);
    expect(seen.breaches).toBeGreaterThan(0);
  }, 240_000);
});
