/**
 * Price attestations (SPEC §2 "Prices"): each guardian reads the exchanges with the oracle code,
 * signs the statement (price, timestamp, round) with its oracle key, asks its peers to co-sign it,
 * and publishes the quorum attestation — on a schedule, and at once when its reading moves by more
 * than the deviation threshold from the last published price. A peer co-signs a statement only when
 * its own fresh reading is within `maxPeerDeviationBps` of it and the timestamp is current.
 */
import {
  type Attestation,
  combineSignatures,
  encodeAttestation,
  type OracleKeySet,
  type OracleSignature,
  type PriceOracle,
  type PriceReading,
  type PriceStatement,
  verifyAttestation,
} from "../oracle/index.ts";
import type { GuardianKeys } from "./keys.ts";
import type { Logger } from "./log.ts";

export interface PriceServiceOptions {
  oracle: PriceOracle;
  keys: GuardianKeys;
  /** This guardian's index in the current oracle key set; null when it is not in the set (rotated out). */
  index: () => number | null;
  oracles: () => OracleKeySet;
  /** Peer guardian base URLs (their /v1/attest is asked to co-sign). */
  peers: string[];
  log: Logger;
  /** Scheduled publication, ms. Default 60 s. */
  publishIntervalMs?: number;
  /** Exchange reads, ms. Default 10 s. */
  readIntervalMs?: number;
  /** Publish at once when the reading moves this much from the last published price. Default 50 (0.5%). */
  deviationBps?: number;
  /** A peer's statement is co-signed within this distance of our reading. Default 100 (1%). */
  maxPeerDeviationBps?: number;
  /** Our reading is usable for co-signing for this long. Default 120 s. */
  maxReadingAgeMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

export type AttestRefusal = { ok: false; reason: string };

export class PriceService {
  latestReading: PriceReading | null = null;
  latest: { attestation: Attestation; encoded: string; publishedAt: number; signers: number[] } | null = null;
  readonly history: { price: string; timestamp: number; round: string; signers: number[] }[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  private publishing: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: PriceServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    const read = () =>
      void this.refresh().catch((e: unknown) => this.o.log.warn("price read failed", { error: String(e) }));
    read();
    this.timers.push(setInterval(read, this.o.readIntervalMs ?? 10_000));
    this.timers.push(setInterval(() => void this.publish("schedule"), this.o.publishIntervalMs ?? 60_000));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Reads the exchanges; publishes when the move since the last attestation exceeds the threshold. */
  async refresh(): Promise<PriceReading> {
    const reading = await this.o.oracle.readPrice();
    this.latestReading = reading;
    if (reading.status !== "ok" || reading.price === null) {
      this.o.log.warn("price unavailable", { reason: reading.reason });
      return reading;
    }
    const last = this.latest?.attestation.price;
    const bps = BigInt(this.o.deviationBps ?? 50);
    if (last === undefined || abs(reading.price - last) * 10_000n > bps * last)
      await this.publish(last === undefined ? "first" : "deviation");
    return reading;
  }

  private ownPrice(): bigint | null {
    const r = this.latestReading;
    if (r?.status !== "ok" || r.price === null) return null;
    if (this.now() - r.at > (this.o.maxReadingAgeMs ?? 120_000)) return null;
    return r.price;
  }

  /** Signs a peer's statement if it matches our own view (POST /v1/attest). */
  cosign(statement: PriceStatement): { ok: true; signature: OracleSignature } | AttestRefusal {
    const own = this.ownPrice();
    if (own === null) return { ok: false, reason: "this guardian has no fresh price of its own" };
    const nowSec = Math.floor(this.now() / 1000);
    if (Math.abs(nowSec - statement.timestamp) > 60)
      return { ok: false, reason: `timestamp ${statement.timestamp} is not current (now ${nowSec})` };
    const max = BigInt(this.o.maxPeerDeviationBps ?? 100);
    if (abs(statement.price - own) * 10_000n > max * own)
      return {
        ok: false,
        reason: `price ${statement.price} is more than ${max} bps from this guardian's ${own}`,
      };
    const index = this.o.index();
    if (index === null)
      return { ok: false, reason: "this guardian's oracle key is not in the current oracle set" };
    return { ok: true, signature: this.o.keys.signPrice(statement, index) };
  }

  /** Signs our reading, gathers peers' signatures, publishes the attestation when a quorum signed. */
  publish(trigger: string): Promise<void> {
    this.publishing ??= this.doPublish(trigger).finally(() => {
      this.publishing = null;
    });
    return this.publishing;
  }

  private async doPublish(trigger: string): Promise<void> {
    const price = this.ownPrice();
    const index = this.o.index();
    if (price === null || index === null) return;
    const timestamp = Math.floor(this.now() / 1000);
    const statement: PriceStatement = { price, timestamp, round: BigInt(timestamp) };
    const signatures: OracleSignature[] = [this.o.keys.signPrice(statement, index)];
    const set = this.o.oracles();
    const f = this.o.fetch ?? fetch;
    const answers = await Promise.all(
      this.o.peers.map(async (peer) => {
        try {
          const res = await f(`${peer}/v1/attest`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ price: price.toString(), timestamp, round: statement.round.toString() }),
            signal: AbortSignal.timeout(5_000),
          });
          const body = (await res.json()) as {
            signature?: { signer: number; R8: [string, string]; S: string };
            error?: string;
          };
          if (!res.ok || !body.signature) return { peer, error: body.error ?? `HTTP ${res.status}` };
          const s = body.signature;
          return {
            peer,
            signature: { signer: s.signer, R8: [BigInt(s.R8[0]), BigInt(s.R8[1])] as const, S: BigInt(s.S) },
          };
        } catch (error) {
          return { peer, error: (error as Error).message };
        }
      }),
    );
    for (const a of answers) {
      if ("signature" in a && a.signature) signatures.push(a.signature);
      else this.o.log.info("peer did not co-sign the price", { peer: a.peer, reason: a.error });
    }
    const attestation = combineSignatures(statement, dedupe(signatures));
    const check = verifyAttestation(attestation, set);
    if (!check.valid) {
      this.o.log.warn("no price quorum", { reason: check.reason, trigger });
      return;
    }
    this.latest = {
      attestation,
      encoded: Buffer.from(encodeAttestation(attestation)).toString("hex"),
      publishedAt: this.now(),
      signers: [...check.signers],
    };
    this.history.push({
      price: price.toString(),
      timestamp,
      round: statement.round.toString(),
      signers: [...check.signers],
    });
    if (this.history.length > 500) this.history.shift();
    this.o.log.info("price attestation published", {
      price: price.toString(),
      timestamp,
      signers: check.signers,
      trigger,
    });
  }
}

const abs = (x: bigint) => (x < 0n ? -x : x);

function dedupe(sigs: OracleSignature[]): OracleSignature[] {
  const seen = new Set<number>();
  return sigs.filter((s) => {
    if (seen.has(s.signer)) return false;
    seen.add(s.signer);
    return true;
  });
}
