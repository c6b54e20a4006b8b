/**
 * The guardian's promise never to sign one vault or pool output into two different spends: every
 * outpoint it co-signs is recorded with the id of the (unsigned) transaction it signed, appended to
 * a JSON-lines file and fsync'd before the signature leaves the daemon. Signing the same transaction
 * again (a retry) is allowed; a different transaction over a recorded outpoint is refused.
 *
 * `reserve` checks and records in one synchronous step (no await between them): two requests for one
 * outpoint that arrive together cannot both pass the check, whatever they awaited before it.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface LedgerEntry {
  outpoint: string;
  txid: string;
  op: string;
  at: string;
}

export class SpendLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly file: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, "signed-outpoints.jsonl");
    let text = "";
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      // first run
    }
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as LedgerEntry;
        if (!this.entries.has(e.outpoint)) this.entries.set(e.outpoint, e);
      } catch {
        // a torn last line (crash mid-write) is ignored: its signature was never returned
      }
    }
  }

  /** The spend an outpoint was already signed into, if it differs from `txid`. */
  conflict(outpoint: string, txid: string): LedgerEntry | undefined {
    const e = this.entries.get(outpoint);
    return e && e.txid !== txid ? e : undefined;
  }

  /**
   * Atomically reserves the outpoints of a spend for `txid`: the first conflicting entry if any
   * outpoint is already bound to another transaction (then nothing is recorded), else records them
   * all durably and returns undefined. Call it last, right before signing.
   */
  reserve(outpoints: string[], txid: string, op: string): LedgerEntry | undefined {
    for (const o of outpoints) {
      const conflict = this.conflict(o, txid);
      if (conflict) return conflict;
    }
    this.record(outpoints, txid, op);
    return undefined;
  }

  /** Records the outpoints of a spend, durably, before its signatures are released. */
  record(outpoints: string[], txid: string, op: string): void {
    const fresh = outpoints.filter((o) => !this.entries.has(o));
    if (fresh.length === 0) return;
    const at = new Date().toISOString();
    const lines = fresh.map((outpoint) => JSON.stringify({ outpoint, txid, op, at })).join("\n");
    appendFileSync(this.file, `${lines}\n`);
    const fd = openSync(this.file, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    for (const outpoint of fresh) this.entries.set(outpoint, { outpoint, txid, op, at });
  }

  get size(): number {
    return this.entries.size;
  }
}
