/**
 * The promise never to sign two prices for one timestamp, across a crash (red team): a crash
 * mid-append leaves a torn last line, ignored on restart (its signature never left). The next record
 * must get a line of its own: appended onto the torn bytes, its line would not parse after the next
 * restart and a different price for its timestamp would be signed (it was, before the fix).
 */
import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SIGNED_PRICES_FILE, SignedPrices } from "./signed-prices.ts";

const E18 = 10n ** 18n;
const T = Math.floor(Date.now() / 1000);

describe("signed prices across a crash", () => {
  it("a record written after a torn line survives the next restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "rt-signed-"));
    const first = new SignedPrices(dir);
    expect(first.claim({ price: 60_000n * E18, timestamp: T - 60, round: 1n }).ok).toBe(true);
    // The process dies while appending the next record (power loss: part of the line reached the disk).
    appendFileSync(join(dir, SIGNED_PRICES_FILE), '{"timestamp":');
    const afterCrash = new SignedPrices(dir);
    // Signed and released: 60,000 at T.
    expect(afterCrash.claim({ price: 60_000n * E18, timestamp: T, round: 2n }).ok).toBe(true);
    const afterRestart = new SignedPrices(dir);
    const second = afterRestart.claim({ price: 59_400n * E18, timestamp: T, round: 2n });
    expect(second.ok ? "signed a second price for the timestamp" : second.code).toBe("conflict");
  });
});
