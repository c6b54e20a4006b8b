/**
 * Price attestations (docs/decisions.md §2 "Prices"): each guardian reads the exchanges with the oracle code,
 * signs the statement (price, timestamp, round) with its oracle key, asks its peers to co-sign it,
 * and publishes the quorum attestation — on a schedule, and at once when its reading moves by more
 * than the deviation threshold from the last published price. A peer co-signs a statement only when
 * the request is signed by another federation guardian (peer-auth.ts), its own fresh reading is within
 * `maxPeerDeviationBps` of it, the timestamp is current, and it has signed no other statement for that
 * timestamp (signed-prices.ts; persisted). Nothing else makes this guardian's oracle key sign.
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
  statementProblem,
  verifyAttestation,
} from "../oracle/index.ts";
import { GuardianError } from "./errors.ts";
import type { Route } from "./http.ts";
import type { GuardianKeys } from "./keys.ts";
import type { Logger } from "./log.ts";
import { type PeerAuthenticator, signPeerRequest } from "./peer-auth.ts";
import type { SignedPrices } from "./signed-prices.ts";

export interface PriceServiceOptions {
  oracle: PriceOracle;
  keys: GuardianKeys;
  /** This guardian's index in the current oracle key set; null when it is not in the set (rotated out). */
  index: () => number | null;
  oracles: () => OracleKeySet;
  /** Peer guardians: base URL (their /v1/attest is asked to co-sign) and compressed custody key, hex. */
  peers: { url: string; custodyKey: string }[];
  /** Every statement the oracle key signed, per timestamp (persisted). */
  signed: SignedPrices;
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

export type AttestRefusal = { ok: false; code: "refused" | "conflict"; reason: string };

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
    const refused = (reason: string): AttestRefusal => ({ ok: false, code: "refused", reason });
    const own = this.ownPrice();
    if (own === null) return refused("this guardian has no fresh price of its own");
    const nowSec = Math.floor(this.now() / 1000);
    if (Math.abs(nowSec - statement.timestamp) > 60)
      return refused(`timestamp ${statement.timestamp} is not current (now ${nowSec})`);
    const max = BigInt(this.o.maxPeerDeviationBps ?? 100);
    if (abs(statement.price - own) * 10_000n > max * own)
      return refused(`price ${statement.price} is more than ${max} bps from this guardian's ${own}`);
    const index = this.o.index();
    if (index === null) return refused("this guardian's oracle key is not in the current oracle set");
    const claim = this.o.signed.claim(statement);
    if (!claim.ok)
      return { ok: false, code: claim.code === "conflict" ? "conflict" : "refused", reason: claim.reason };
    return { ok: true, signature: this.o.keys.signPrice(statement, index) };
  }

  /** One more attempt 1–4 s later (a later second), after a same-second collision with a peer. */
  private retryLater(trigger: string): void {
    if (this.timers.length === 0 || trigger.endsWith("(retry)")) return;
    setTimeout(
      () => void this.publish(`${trigger} (retry)`),
      1_000 + Math.floor(Math.random() * 3_000),
    ).unref();
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
    const claim = this.o.signed.claim(statement);
    if (!claim.ok) {
      // A peer's statement for this second was signed first: that one may reach a quorum, not ours.
      this.o.log.info("price not signed", { reason: claim.reason, trigger });
      this.retryLater(trigger);
      return;
    }
    const signatures: OracleSignature[] = [this.o.keys.signPrice(statement, index)];
    const set = this.o.oracles();
    const body = JSON.stringify({ price: price.toString(), timestamp, round: statement.round.toString() });
    const answers = await Promise.all(
      this.o.peers.map(({ url, custodyKey }) => this.askPeer(url, custodyKey, body)),
    );
    const conflicts = answers.filter((a) => a.conflict).length;
    for (const a of answers) {
      if ("signature" in a && a.signature) signatures.push(a.signature);
      else this.o.log.info("peer did not co-sign the price", { peer: a.peer, reason: a.error });
    }
    const attestation = combineSignatures(statement, dedupe(signatures));
    const check = verifyAttestation(attestation, set);
    if (!check.valid) {
      this.o.log.warn("no price quorum", { reason: check.reason, trigger });
      // Peers that signed their own statement for the same second refuse ours (409): try a later second.
      if (conflicts > 0) this.retryLater(trigger);
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
  /** One peer's co-signature of the statement (a 409: it signed its own statement for that second). */
  private async askPeer(
    peer: string,
    custodyKey: string,
    body: string,
  ): Promise<{ peer: string; conflict: boolean; signature?: OracleSignature; error?: string }> {
    const f = this.o.fetch ?? fetch;
    try {
      const headers = signPeerRequest(
        this.o.keys,
        { method: "POST", path: ATTEST_PATH, body, audience: custodyKey },
        this.now(),
      );
      const res = await f(`${peer}${ATTEST_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      const answer = (await res.json()) as {
        signature?: { signer: number; R8: [string, string]; S: string };
        error?: unknown;
      };
      const conflict = res.status === 409;
      if (!res.ok || !answer.signature)
        return { peer, conflict, error: answer.error ? JSON.stringify(answer.error) : `HTTP ${res.status}` };
      const s = answer.signature;
      return {
        peer,
        conflict,
        signature: { signer: s.signer, R8: [BigInt(s.R8[0]), BigInt(s.R8[1])] as const, S: BigInt(s.S) },
      };
    } catch (error) {
      return { peer, conflict: false, error: (error as Error).message };
    }
  }
}

const abs = (x: bigint) => (x < 0n ? -x : x);

export const ATTEST_PATH = "/v1/attest";

/**
 * POST /v1/attest {price, timestamp, round}: this guardian's signature on a peer's statement. Only
 * for requests signed by another federation guardian (401 otherwise, replays included); 409 when this
 * guardian already signed another statement for the timestamp; 422 when its own view disagrees.
 */
export function attestRoute(prices: PriceService, auth: PeerAuthenticator): Route {
  return {
    method: "POST",
    path: ATTEST_PATH,
    cost: 2,
    handler: (r) => {
      const who = auth.verify(r.method, r.path, r.headers, r.rawBody);
      if (!who.ok) throw new GuardianError("unauthenticated", who.reason);
      const b = r.body as { price?: unknown; timestamp?: unknown; round?: unknown } | undefined;
      if (
        !b ||
        typeof b.price !== "string" ||
        !/^\d{1,40}$/.test(b.price) ||
        typeof b.timestamp !== "number" ||
        !Number.isSafeInteger(b.timestamp) ||
        typeof b.round !== "string" ||
        !/^\d{1,20}$/.test(b.round)
      )
        throw new GuardianError(
          "invalidRequest",
          "expected { price: integer string, timestamp: integer, round: integer string }",
        );
      const statement = { price: BigInt(b.price), timestamp: b.timestamp, round: BigInt(b.round) };
      const problem = statementProblem(statement);
      if (problem) throw new GuardianError("invalidRequest", problem);
      const res = prices.cosign(statement);
      if (!res.ok) throw new GuardianError(res.code, res.reason);
      const s = res.signature;
      return {
        signature: { signer: s.signer, R8: [s.R8[0].toString(), s.R8[1].toString()], S: s.S.toString() },
      };
    },
  };
}

function dedupe(sigs: OracleSignature[]): OracleSignature[] {
  const seen = new Set<number>();
  return sigs.filter((s) => {
    if (seen.has(s.signer)) return false;
    seen.add(s.signer);
    return true;
  });
}
