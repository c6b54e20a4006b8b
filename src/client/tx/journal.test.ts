import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { parseDecimal } from "../../protocol/index.ts";
import { FlowJournal, type FlowRecord, recoveryOf } from "./journal.ts";

const base = (patch: Partial<FlowRecord>): FlowRecord => ({
  id: "f1",
  title: "Borrow more",
  op: { type: "adjustVault", owner: "alice", borrow: parseDecimal("1000"), maxFee: parseDecimal("0.05") },
  account: "alice",
  height: 10,
  startedAt: 1,
  updatedAt: 1,
  state: "running",
  steps: [
    { id: "attestation", label: "Price attestation from the guardians", state: "done" },
    { id: "proof", label: "Proof (witness, then Groth16 proving in your browser)", state: "running" },
    { id: "sign", label: "Your wallet's signature", state: "waiting" },
  ],
  sent: {},
  ...patch,
});

describe("the flow journal", () => {
  it("keeps a flow's operation (bigints) and steps across a reopen", async () => {
    const a = await FlowJournal.open("journal-test-1");
    await a.put(base({}));
    a.close();
    const b = await FlowJournal.open("journal-test-1");
    const [r] = await b.list(2);
    expect(r?.op).toEqual(base({}).op);
    expect(r?.steps[1]?.state).toBe("running");
    b.close();
  });

  it("a flow stopped before its operation was sent is reported with its step; a broadcast one is resumed", () => {
    const stopped = recoveryOf(base({}));
    expect(stopped.kind).toBe("report");
    if (stopped.kind === "report") {
      expect(stopped.sentence).toContain('reloaded during "Proof');
      expect(stopped.sentence).toContain("nothing of it reached the chain");
    }
    const priceOnly = recoveryOf(base({ sent: { price: "ab".repeat(32) } }));
    expect(priceOnly.kind === "report" && priceOnly.sentence).toContain("price update");
    expect(recoveryOf(base({ sent: { price: "ab".repeat(32), operation: "cd".repeat(32) } }))).toEqual({
      kind: "resume",
      txid: "cd".repeat(32),
    });
  });

  it("drops finished records after a day, keeps running ones", async () => {
    const j = await FlowJournal.open("journal-test-2");
    await j.put(base({ id: "old", state: "confirmed", updatedAt: 0 }));
    await j.put(base({ id: "run", state: "running", updatedAt: 0 }));
    await j.put(base({ id: "new", state: "failed", updatedAt: 90_000_000 }));
    expect((await j.list(90_000_001)).map((r) => r.id).sort()).toEqual(["new", "run"]);
    j.close();
  });
});
