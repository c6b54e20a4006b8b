/**
 * Headless Chromium: the prover worker proves the vault circuit (threaded and single-threaded), the verifier
 * accepts, progress is reported, the main thread stays responsive, and cancel rejects in-flight work.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFor, scenarioState, u } from "../scripts/circuits/scenario.ts";
import { serializeState } from "../src/protocol/index.ts";
import { buildWitness, withDeclaredFee } from "../src/zk/index.ts";
import { nodeArtifacts } from "../src/zk/node.ts";
import { verifyProof } from "../src/zk/verifier.ts";
import { openZkPage, type ZkPage } from "./fixtures/zk-server.ts";

type ProverWindow = { zkProver: Record<string, (...a: unknown[]) => Promise<unknown>> };

let session: ZkPage;
let input: Record<string, unknown>;

beforeAll(async () => {
  input = JSON.parse(await readFile("circuits/examples/vault.json", "utf8"));
  session = await openZkPage();
}, 180_000);
afterAll(async () => session?.close());

describe("prover worker in Chromium", () => {
  it("proves the vault example in a worker; the browser and Node verifiers accept it", async () => {
    const result = (await session.page.evaluate(async (inp) => {
      const z = (window as unknown as ProverWindow).zkProver;
      await z.resetGap!();
      const r = (await z.prove!("vault", inp)) as {
        publicSignals: string[];
        proof: unknown;
        phases: string[];
      };
      const ok = await z.verify!("vault", r.publicSignals, r.proof);
      return { ...r, ok, gap: await z.longestGap!() };
    }, input)) as { publicSignals: string[]; proof: never; phases: string[]; ok: boolean; gap: number };
    expect(result.ok).toBe(true);
    expect(result.phases).toEqual(["loading", "witness", "proving", "done"]);
    expect(result.publicSignals).toEqual([
      input.recordBefore,
      input.recordAfter,
      input.operationHash,
      input.contextHash,
    ]);
    expect(
      verifyProof(await nodeArtifacts().verificationKey("vault"), result.publicSignals, result.proof),
    ).toBe(true);
    // the page's 10 ms timer kept running while the worker proved
    expect(result.gap).toBeLessThan(250);
    expect(session.problems).toEqual([]);
  }, 120_000);

  it("prove(operation, state): the worker builds the witness from engine state and proves a borrow", async () => {
    const { state, now } = await scenarioState();
    const ctx = contextFor(state, now);
    const op = withDeclaredFee({ type: "adjustVault", owner: "carol", borrow: u("1500") }, state, ctx);
    const expected = buildWitness(op, state, ctx).publicSignals;
    const result = (await session.page.evaluate(
      async ({ op, state, ctx }) => {
        const z = (window as unknown as ProverWindow).zkProver;
        const r = (await z.proveOperation!(op, state, ctx)) as { publicSignals: string[]; proof: unknown };
        return { publicSignals: r.publicSignals, ok: await z.verify!("vault", r.publicSignals, r.proof) };
      },
      { op, state: serializeState(state), ctx },
    )) as { publicSignals: string[]; ok: boolean };
    expect(result.ok).toBe(true);
    expect(result.publicSignals).toEqual(expected);
  }, 120_000);

  it("proves single-threaded too (no nested workers)", async () => {
    const ok = await session.page.evaluate(async (inp) => {
      const z = (window as unknown as ProverWindow).zkProver;
      const r = (await z.prove!("vault", inp, true)) as { publicSignals: string[]; proof: unknown };
      return z.verify!("vault", r.publicSignals, r.proof);
    }, input);
    expect(ok).toBe(true);
  }, 120_000);

  it("rejects a borrow that breaks MCR with the rule's name", async () => {
    const invalid = JSON.parse(await readFile("circuits/examples/vault.invalid.json", "utf8"));
    const message = await session.page.evaluate(async (inp) => {
      const z = (window as unknown as ProverWindow).zkProver;
      return z.prove!("vault", inp).then(
        () => "proved",
        (e: Error) => `${e.name}: ${e.message}`,
      );
    }, invalid);
    expect(message).toMatch(/ZkError: .*belowMinimumCollateralRatio/);
  }, 120_000);

  it("cancel terminates proving and the next proof starts a fresh worker", async () => {
    const outcome = await session.page.evaluate(async (inp) => {
      const z = (window as unknown as ProverWindow).zkProver;
      const pending = z.prove!("vault", inp).then(
        () => "proved",
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 50));
      await z.cancel!();
      const first = await pending;
      const again = (await z.prove!("vault", inp)) as { publicSignals: string[]; proof: unknown };
      return { first, second: await z.verify!("vault", again.publicSignals, again.proof) };
    }, input);
    expect(outcome.first).toMatch(/cancelled/);
    expect(outcome.second).toBe(true);
  }, 180_000);
});
