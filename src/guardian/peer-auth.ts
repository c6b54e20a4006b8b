/**
 * Guardian-to-guardian request authentication (docs/guardian.md "Prices"): a peer signs each request
 * it sends another guardian with its custody key (BIP340 Schnorr over a tagged hash, so the signature
 * can never be taken for a Bitcoin signature) over
 *
 *   method, path, SHA-256 of the body, the receiver's custody key, the time (ms) and a random nonce.
 *
 * The receiver accepts it only when the key is a member of the current custody set (governance
 * rotations apply) other than itself, the time is within ±`maxSkewMs` of its clock and not before the
 * receiver started (a request captured before a restart cannot be replayed after it), the nonce has
 * not been seen in that window, and the signature verifies. Seen nonces are kept only for signed
 * requests, expire with the window, and are capped (`maxNonces`): an unauthenticated client cannot
 * grow the set, and a flood of signed ones is refused as busy rather than forgetting a nonce early.
 */
import { schnorr } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, toHex } from "../btc/index.ts";
import type { GuardianKeys } from "./keys.ts";

export const PEER_HEADERS = {
  key: "x-zkusd-peer-key",
  time: "x-zkusd-peer-time",
  nonce: "x-zkusd-peer-nonce",
  signature: "x-zkusd-peer-signature",
} as const;

const TAG = "zkusd/guardian-request/v1";

export interface PeerRequest {
  method: string;
  path: string;
  body: Uint8Array;
  /** The receiving guardian's compressed custody key, hex: a request to one guardian is not valid at another. */
  audience: string;
  timeMs: number;
  nonce: string;
}

/** The 32 bytes a peer signs. */
export function peerRequestDigest(r: PeerRequest): Uint8Array {
  const text = [
    r.method.toUpperCase(),
    r.path,
    toHex(sha256(r.body)),
    r.audience,
    String(r.timeMs),
    r.nonce,
  ].join("\n");
  return schnorr.utils.taggedHash(TAG, new TextEncoder().encode(text));
}

/** Headers that authenticate `method path body` from `keys`' guardian to the guardian with custody key `audience`. */
export function signPeerRequest(
  keys: GuardianKeys,
  r: { method: string; path: string; body: string | Uint8Array; audience: string },
  now: number = Date.now(),
): Record<string, string> {
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const body = typeof r.body === "string" ? new TextEncoder().encode(r.body) : r.body;
  const digest = peerRequestDigest({ ...r, body, timeMs: now, nonce });
  return {
    [PEER_HEADERS.key]: keys.custodyPublicKeyHex,
    [PEER_HEADERS.time]: String(now),
    [PEER_HEADERS.nonce]: nonce,
    [PEER_HEADERS.signature]: toHex(keys.signPeerDigest(digest)),
  };
}

export interface PeerAuthOptions {
  /** This guardian's compressed custody key, hex (the audience it accepts). */
  self: string;
  /** The current custody set's keys (compressed). */
  members: () => Uint8Array[];
  now?: () => number;
  /** Default 30 s. */
  maxSkewMs?: number;
  /** Seen nonces kept at most (default 10,000; at 2 requests per peer per minute this is never reached). */
  maxNonces?: number;
}

export type PeerAuthResult = { ok: true; peer: string } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

export class PeerAuthenticator {
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;
  private readonly startedAt: number;

  constructor(private readonly o: PeerAuthOptions) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
  }

  verify(method: string, path: string, headers: Headers, body: Uint8Array | undefined): PeerAuthResult {
    const one = (name: string) => {
      const v = headers[name];
      return typeof v === "string" ? v : undefined;
    };
    const key = one(PEER_HEADERS.key);
    const time = one(PEER_HEADERS.time);
    const nonce = one(PEER_HEADERS.nonce);
    const signature = one(PEER_HEADERS.signature);
    if (!key || !time || !nonce || !signature)
      return { ok: false, reason: "this route is for federation peers: signed peer headers are missing" };
    if (!/^0[23][0-9a-f]{64}$/.test(key) || !/^\d{1,15}$/.test(time) || !/^[0-9a-f]{32}$/.test(nonce))
      return { ok: false, reason: "malformed peer headers" };
    if (!/^[0-9a-f]{128}$/.test(signature)) return { ok: false, reason: "malformed peer signature" };
    if (key === this.o.self) return { ok: false, reason: "a guardian does not ask itself" };
    if (!this.o.members().some((m) => toHex(m) === key))
      return { ok: false, reason: "the key is not in the current custody set" };
    const now = this.now();
    const timeMs = Number(time);
    const skew = this.o.maxSkewMs ?? 30_000;
    if (Math.abs(now - timeMs) > skew)
      return { ok: false, reason: `request time is more than ${skew} ms off` };
    if (timeMs < this.startedAt) return { ok: false, reason: "request signed before this guardian started" };
    const digest = peerRequestDigest({
      method,
      path,
      body: body ?? new Uint8Array(0),
      audience: this.o.self,
      timeMs,
      nonce,
    });
    let valid = false;
    try {
      valid = schnorr.verify(fromHex(signature), digest, fromHex(key).subarray(1));
    } catch {
      valid = false;
    }
    if (!valid) return { ok: false, reason: "bad peer signature" };
    // Replay: a nonce is remembered until its request can no longer pass the time check.
    for (const [n, expires] of this.seen) {
      if (expires > now) break; // insertion order ≈ expiry order
      this.seen.delete(n);
    }
    const id = `${key}:${nonce}`;
    if (this.seen.has(id)) return { ok: false, reason: "replayed request (nonce already used)" };
    if (this.seen.size >= (this.o.maxNonces ?? 10_000))
      return { ok: false, reason: "too many peer requests in the replay window" };
    this.seen.set(id, timeMs + skew);
    return { ok: true, peer: key };
  }
}
