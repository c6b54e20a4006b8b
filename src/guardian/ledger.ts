/**
 * The guardian's promise never to sign one protocol coin into two different spends: every coin of a
 * settlement it signs is recorded with the settlement (txid, obligations, basis, fee rate), appended
 * to a JSON-lines file and fsync'd before the signature leaves the daemon. `reserveCoins` checks and
 * records in one synchronous step (no await between them): two requests that arrive together cannot
 * both pass the check. Signing the same transaction again (a retry) is allowed.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Appends JSON lines and fsyncs the file before returning: what is recorded survives a crash. */
function appendDurably(file: string, lines: string[]): void {
  appendFileSync(file, `${lines.join("\n")}\n`);
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The JSON lines of a file; a torn last line (crash mid-write: its signature was never released) is skipped. */
function readLines<T>(file: string): T[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return []; // first run
  }
  const out: T[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // torn line
    }
  }
  return out;
}

/** What a guardian signed over one main-coin outpoint (docs/decisions.md §2a "One main coin serializes settlements"). */
export interface SettlementEntry {
  /** The protocol coin every settlement spends and recreates ("txid:vout"). */
  main: string;
  txid: string;
  /** Hash of the settled obligation ids (the settle spell's), hex. */
  ids: string;
  /** Basis height the settlement names. */
  basis: number;
  /** Fee rate, integer (the settle spell's unit, sat/kvB). */
  feeRate: number;
  /** The obligation ids it pays (to re-propose it unchanged). */
  obligations?: string[];
  /** The vaults it rolls without an obligation (to re-propose it unchanged). */
  rolls?: string[];
  /** Chain height when signed (the leader bumps a settlement stuck for a few blocks). */
  height?: number;
  at: string;
}

export type SettlementVerdict =
  | { ok: true; replacement: boolean }
  | {
      ok: false;
      code: "otherObligations" | "otherBasis" | "notHigherFee";
      reason: string;
      signed: SettlementEntry;
    };

/**
 * The guardian's promise about settlements: over one main-coin outpoint it signs one settlement, or a
 * replacement of it with the same obligations and basis at a strictly higher fee rate (RBF). Every
 * signature is recorded (fsync'd) before it is released, and the records are read back on restart,
 * so a restarted guardian keeps the promise (idempotent: the same transaction again is a retry).
 */
export class SettlementLedger {
  /** The latest signed settlement per main outpoint. */
  private readonly latest = new Map<string, SettlementEntry>();
  /** The coins each signed settlement spends (txid → outpoints). */
  private readonly coinsOf = new Map<string, Set<string>>();
  private readonly file: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, "signed-settlements.jsonl");
    for (const e of readLines<SettlementEntry>(this.file)) this.remember(e);
  }

  private remember(e: SettlementEntry): void {
    const coins = this.coinsOf.get(e.txid);
    if (coins) coins.add(e.main);
    else this.coinsOf.set(e.txid, new Set([e.main]));
    const prev = this.latest.get(e.main);
    if (!prev || e.feeRate > prev.feeRate) this.latest.set(e.main, e);
  }

  /**
   * Whether a signed settlement can still confirm: every coin it spends is unspent (`unspent`, from
   * the guardian's replayed state). One whose coin was spent by anything else (an owner's escape)
   * never can, so it binds nothing: the promise is about transactions that could both confirm.
   */
  private alive(txid: string, unspent: ((outpoint: string) => boolean) | undefined): boolean {
    return unspent === undefined || [...(this.coinsOf.get(txid) ?? [])].every(unspent);
  }

  /**
   * Whether signing `s` keeps the promise (no side effects). `unspent` tells which coins are still
   * unspent: a previous settlement that spent a coin now gone is dead and binds nothing.
   */
  check(s: Omit<SettlementEntry, "at">, unspent?: (outpoint: string) => boolean): SettlementVerdict {
    const prev = this.latest.get(s.main);
    if (!prev || !this.alive(prev.txid, unspent)) return { ok: true, replacement: false };
    if (prev.txid === s.txid) return { ok: true, replacement: false };
    if (prev.ids !== s.ids)
      return {
        ok: false,
        code: "otherObligations",
        reason: `main coin ${s.main} is already in settlement ${prev.txid} of other obligations`,
        signed: prev,
      };
    if (prev.basis !== s.basis)
      return {
        ok: false,
        code: "otherBasis",
        reason: `main coin ${s.main} is already in settlement ${prev.txid} at basis ${prev.basis}, not ${s.basis}`,
        signed: prev,
      };
    if (s.feeRate <= prev.feeRate)
      return {
        ok: false,
        code: "notHigherFee",
        reason: `a replacement of ${prev.txid} must pay more than ${prev.feeRate} sat/vB (offered ${s.feeRate})`,
        signed: prev,
      };
    return { ok: true, replacement: true };
  }

  /**
   * Checks and records in one synchronous step; call it right before releasing a signature. Returns
   * the verdict; only an ok verdict was recorded.
   */
  reserve(s: Omit<SettlementEntry, "at">): SettlementVerdict {
    const verdict = this.check(s);
    if (!verdict.ok) return verdict;
    if (this.latest.get(s.main)?.txid === s.txid) return verdict; // a retry: already recorded
    const entry: SettlementEntry = { ...s, at: new Date().toISOString() };
    appendDurably(this.file, [JSON.stringify(entry)]);
    this.remember(entry);
    return verdict;
  }

  /**
   * `reserve` over every coin a settlement spends, all or none: the first coin whose promise the
   * settlement would break refuses it and nothing is recorded.
   */
  reserveCoins(
    coins: string[],
    s: Omit<SettlementEntry, "at" | "main">,
    unspent?: (outpoint: string) => boolean,
  ): SettlementVerdict {
    let replacement = false;
    for (const main of coins) {
      const v = this.check({ ...s, main }, unspent);
      if (!v.ok) return v;
      replacement ||= v.replacement;
    }
    const at = new Date().toISOString();
    const fresh = coins.filter((main) => this.latest.get(main)?.txid !== s.txid);
    if (fresh.length > 0) {
      const entries = fresh.map((main): SettlementEntry => ({ ...s, main, at }));
      appendDurably(
        this.file,
        entries.map((e) => JSON.stringify(e)),
      );
      for (const e of entries) this.remember(e);
    }
    return { ok: true, replacement };
  }

  /**
   * The newest settlement signed over any of `coins` (the coins still unspent) that can still confirm:
   * every coin it spends is among them (a settlement not yet confirmed, not killed by an escape).
   */
  pendingFor(coins: string[]): SettlementEntry | undefined {
    const unspent = new Set(coins);
    let best: SettlementEntry | undefined;
    for (const c of coins) {
      const e = this.latest.get(c);
      if (e && (!best || e.at > best.at) && this.alive(e.txid, (o) => unspent.has(o))) best = e;
    }
    return best;
  }

  /** Coins with a recorded settlement. */
  get size(): number {
    return this.latest.size;
  }

  /** The settlement signed over a main outpoint, if any. */
  signed(main: string): SettlementEntry | undefined {
    return this.latest.get(main);
  }
}
