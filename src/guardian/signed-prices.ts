/**
 * The guardian's promise never to sign two price statements for one timestamp (hence never two prices
 * for one (timestamp, round)): every statement its oracle key signs, its own or a peer's, is appended
 * to `signed-prices.jsonl` in its data directory and fsync'd before the signature leaves the daemon.
 * Signing the same statement again is allowed (a retry); another price or round for a recorded
 * timestamp is a conflict.
 *
 * With a federation threshold above half the members, this makes a second quorum for one timestamp
 * impossible: two quorums would share an honest guardian that signed both.
 *
 * Bounded: entries older than `retentionSec` before the newest signed timestamp are forgotten, and
 * every timestamp below that floor is refused for good (statements are only signed while current, so
 * an honest request never goes there; a clock set back by more than the retention makes the guardian
 * refuse, not sign twice). The file is rewritten without the forgotten entries when it has grown to
 * twice what is kept.
 */
import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { PriceStatement } from "../oracle/index.ts";

interface Entry {
  timestamp: number;
  price: string;
  round: string;
}

export type ClaimResult =
  | { ok: true; again: boolean }
  | { ok: false; code: "conflict" | "tooOld"; reason: string };

export const SIGNED_PRICES_FILE = "signed-prices.jsonl";

export class SignedPrices {
  private readonly entries = new Map<number, Entry>();
  private readonly file: string;
  private newest = 0;
  private lines = 0;

  constructor(
    dataDir: string,
    private readonly retentionSec = 3_600,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, SIGNED_PRICES_FILE);
    let text = "";
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      // first run
    }
    // A crash mid-append leaves a torn last line: end it, so the next record gets a line of its own
    // (appended onto the torn bytes it would not parse at the next start, and its timestamp would be free).
    if (text.length > 0 && !text.endsWith("\n")) {
      appendFileSync(this.file, "\n");
      sync(this.file);
    }
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      this.lines++;
      try {
        const e = JSON.parse(line) as Entry;
        if (!Number.isSafeInteger(e.timestamp) || typeof e.price !== "string" || typeof e.round !== "string")
          continue;
        // The first record of a timestamp is the one whose signature may have left.
        if (!this.entries.has(e.timestamp)) this.entries.set(e.timestamp, e);
        this.newest = Math.max(this.newest, e.timestamp);
      } catch {
        // a torn last line (crash mid-write) is ignored: its signature was never returned
      }
    }
    this.prune();
  }

  /** Timestamps below this are refused: their records may have been forgotten. */
  get floor(): number {
    return this.newest - this.retentionSec;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records `s` durably if its timestamp is free (or already holds exactly `s`); refuses another
   * statement for a recorded timestamp, and any timestamp below the floor. Call it before signing,
   * after checking that the timestamp is current (a far-future one would raise the floor).
   */
  claim(s: PriceStatement): ClaimResult {
    if (s.timestamp < this.floor)
      return {
        ok: false,
        code: "tooOld",
        reason: `timestamp ${s.timestamp} is below this guardian's floor ${this.floor}`,
      };
    const e = this.entries.get(s.timestamp);
    if (e) {
      if (e.price === s.price.toString() && e.round === s.round.toString()) return { ok: true, again: true };
      return {
        ok: false,
        code: "conflict",
        reason: `already signed price ${e.price} round ${e.round} for timestamp ${s.timestamp}`,
      };
    }
    const entry: Entry = { timestamp: s.timestamp, price: s.price.toString(), round: s.round.toString() };
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    sync(this.file);
    this.lines++;
    this.entries.set(s.timestamp, entry);
    this.newest = Math.max(this.newest, s.timestamp);
    this.prune();
    return { ok: true, again: false };
  }

  private prune(): void {
    for (const t of this.entries.keys()) if (t < this.floor) this.entries.delete(t);
    if (this.lines <= 2 * this.entries.size + 100) return;
    // Rewrite with what is kept (the newest entry, which fixes the floor, is always kept).
    const tmp = `${this.file}.tmp`;
    const kept = [...this.entries.values()].sort((a, b) => a.timestamp - b.timestamp);
    writeFileSync(tmp, kept.map((e) => `${JSON.stringify(e)}\n`).join(""));
    sync(tmp);
    renameSync(tmp, this.file);
    this.lines = kept.length;
  }
}

function sync(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
