/**
 * The custody section's lines and status (src/client/custody-events.ts): every custody event a user
 * must see is listed with its block and transaction, and the status says "CUSTODY BREACH" exactly when
 * the check after the engine's block failed.
 */
import { describe, expect, it } from "vitest";
import type { ProtocolEvent } from "../protocol/index.ts";
import type { StoredEvent } from "../storage/types.ts";
import { CUSTODY_EVENT_TYPES, custodyEventLine, custodyStatus } from "./custody-events.ts";

const stored = (height: number, event: ProtocolEvent): StoredEvent => ({
  key: [height, 0, 0],
  height,
  position: 0,
  n: 0,
  txid: "ab".repeat(32),
  time: 1_700_000_000,
  day: "2023-11-14",
  type: event.type,
  accounts: [],
  event,
});

describe("custody events for users", () => {
  it("lists breaches, missed rolls, reorg losses and overdue payouts with heights", () => {
    const lines = [
      stored(900, {
        type: "CustodyBreach",
        outpoint: `${"cd".repeat(32)}:1`,
        sats: 150_000_000n,
        vault: "alice",
        path: "guardians",
        signers: [],
      } as unknown as ProtocolEvent),
      stored(901, {
        type: "MissedRoll",
        owner: "bob",
        outpoint: `${"ef".repeat(32)}:0`,
        sats: 20_000_000n,
        coinHeight: 100n,
        guardians: ["02aa", "02bb", "02cc"],
        threshold: 2n,
        epoch: 1n,
      }),
      stored(902, {
        type: "ReorgLoss",
        outpoint: `${"12".repeat(32)}:0`,
        sats: 1_000n,
        vault: null,
        settlement: "34".repeat(32),
        depth: 8n,
      }),
      stored(903, { type: "ObligationOverdue", id: "56".repeat(32), blocks: 144n }),
      stored(904, { type: "VaultOpened" } as unknown as ProtocolEvent),
    ].map(custodyEventLine);
    expect(lines.map((l) => l && [l.height, l.label, l.severity])).toEqual([
      [900, "CUSTODY BREACH", "breach"],
      [901, "Missed roll", "breach"],
      [902, "Reorg loss", "breach"],
      [903, "Payout overdue", "warning"],
      undefined,
    ]);
    expect(lines[0]!.text).toContain("1.50 BTC");
    expect(lines[0]!.text).toContain("vault alice");
    expect(lines[1]!.text).toContain("key epoch 1, 2-of-3");
    expect(lines[1]!.text).toContain("from block 100");
    expect(lines[2]!.text).toContain("8-block reorg");
    expect(lines[3]!.text).toContain("144 blocks");
    expect(CUSTODY_EVENT_TYPES).toEqual(
      expect.arrayContaining(["CustodyBreach", "MissedRoll", "ReorgLoss", "ObligationOverdue"]),
    );
  });

  it("the status is a breach only while the latest block's check failed", () => {
    const broken = stored(950, {
      type: "CustodyInvariantBroken",
      problems: ["vault alice: coins 1 ≠ ledger 2"],
    });
    expect(custodyStatus([broken], 950)).toEqual({
      ok: false,
      text: "CUSTODY BREACH: the check after block 950 failed",
    });
    expect(custodyStatus([broken], 951)).toMatchObject({ ok: true });
    expect(custodyStatus([], 951).text).toBe("custody and ledger agree (checked after block 951)");
    expect(custodyEventLine(broken)).toMatchObject({
      label: "Invariants broken",
      text: "vault alice: coins 1 ≠ ledger 2",
    });
  });
});
