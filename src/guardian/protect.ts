/**
 * Request protection for the guardian API: token buckets per client and per API key (each with a
 * burst), allow and deny lists, a per-client and a global connection cap. Presets are the seed's
 * (`rpc/rate_limiter.rs`, reference/seed-notes.md §1): buckets start full; idle buckets are dropped
 * after `ttlSec`, swept every `cleanupSec`. Allow and deny lists are on except in `development`
 * (as the seed); an allow-listed IP skips the rate limit, a deny-listed one is refused outright.
 *
 * A client is an IPv4 address (IPv4-mapped IPv6 counts as IPv4) or an IPv6 /64: one subscriber or
 * host gets a whole /64, so rotating addresses inside it buys nothing (`clientOf`).
 *
 * Bounded state: at most `maxClients` client buckets. The table is kept in least-recently-used order;
 * when it is full, a new client may take the slot of the least recently used one only if that
 * client's bucket has refilled completely — forgetting it then loses nothing, since a new bucket
 * starts full too. Otherwise (every tracked client spent tokens recently) the new client gets no
 * bucket of its own and shares one overflow bucket (the anonymous limit) with every other such
 * client. So flooding the table with fresh prefixes never resets anyone's budget, an attacker's own
 * included: its bucket is only forgotten once it is full anyway, and what the flood gets is one
 * shared budget. API-key buckets exist only for configured keys; connection counts only for open
 * sockets (≤ globalConnections).
 */
import { isIPv4, isIPv6 } from "node:net";
import { TokenBucket } from "../oracle/index.ts";

export interface ProtectionPreset {
  anonymous: { rps: number; burst: number };
  apiKey: { rps: number; burst: number };
  cleanupSec: number;
  ttlSec: number;
  connectionsPerIp: number;
  globalConnections: number;
  listsEnabled: boolean;
  /** Client buckets kept at most (see the eviction rule above). */
  maxClients: number;
}

export const PROTECTION_PRESETS = {
  default: {
    anonymous: { rps: 10, burst: 20 },
    apiKey: { rps: 100, burst: 200 },
    cleanupSec: 60,
    ttlSec: 300,
    connectionsPerIp: 100,
    globalConnections: 10_000,
    listsEnabled: true,
    maxClients: 20_000,
  },
  high_traffic: {
    anonymous: { rps: 50, burst: 100 },
    apiKey: { rps: 500, burst: 1000 },
    cleanupSec: 30,
    ttlSec: 180,
    connectionsPerIp: 500,
    globalConnections: 50_000,
    listsEnabled: true,
    maxClients: 100_000,
  },
  development: {
    anonymous: { rps: 1000, burst: 2000 },
    apiKey: { rps: 5000, burst: 10_000 },
    cleanupSec: 300,
    ttlSec: 600,
    connectionsPerIp: 1000,
    globalConnections: 100_000,
    listsEnabled: false,
    maxClients: 20_000,
  },
} as const satisfies Record<string, ProtectionPreset>;
export type ProtectionPresetName = keyof typeof PROTECTION_PRESETS;

export interface ProtectionOptions {
  preset: ProtectionPresetName | ProtectionPreset;
  /** API keys that get the key bucket (sent as `x-api-key`). Unknown keys are treated as anonymous. */
  apiKeys?: string[];
  allow?: string[];
  deny?: string[];
  now?: () => number;
}

export type Admission =
  | { ok: true; client: string }
  | { ok: false; status: 403 | 429; reason: string; retryAfterSec?: number };

interface Entry {
  bucket: TokenBucket;
  lastSeen: number;
}

/** Strips the IPv4-mapped prefix so allow/deny lists can be written as plain IPv4. */
export const normalizeIp = (ip: string | undefined): string => {
  const s = (ip ?? "unknown").toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  return s;
};

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 tails converted), or null. */
function ipv6Groups(ip: string): number[] | null {
  if (!isIPv6(ip)) return null;
  const zone = ip.indexOf("%");
  let s = zone < 0 ? ip : ip.slice(0, zone);
  if (s.includes(".")) {
    // An embedded IPv4 tail (a.b.c.d) is the last two groups.
    const at = s.lastIndexOf(":");
    const [a = 0, b = 0, c = 0, d = 0] = s
      .slice(at + 1)
      .split(".")
      .map(Number);
    s = `${s.slice(0, at + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const gap = s.indexOf("::");
  const h = gap < 0 ? s.split(":") : gap === 0 ? [] : s.slice(0, gap).split(":");
  const t = gap < 0 || gap + 2 === s.length ? [] : s.slice(gap + 2).split(":");
  const groups: number[] = [];
  for (const g of h) groups.push(Number.parseInt(g, 16));
  for (let i = h.length + t.length; i < 8; i++) groups.push(0);
  for (const g of t) groups.push(Number.parseInt(g, 16));
  return groups.length === 8 ? groups : null;
}

/**
 * The rate-limited client an address belongs to: "a.b.c.d" for IPv4 and IPv4-mapped IPv6
 * (::ffff:a.b.c.d, also in hex form), "xxxx:xxxx:xxxx:xxxx::/64" for other IPv6, the input otherwise.
 */
export function clientOf(ip: string): string {
  const n = normalizeIp(ip);
  const g = ipv6Groups(n);
  if (!g) return n;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}

export class Protection {
  readonly preset: ProtectionPreset;
  /** Client buckets, least recently used first. */
  private readonly buckets = new Map<string, Entry>();
  private readonly keyBuckets = new Map<string, TokenBucket>();
  /** Shared by new clients while the table is full of recently active ones. */
  private readonly overflow: TokenBucket;
  private readonly connections = new Map<string, number>();
  private totalConnections = 0;
  private readonly apiKeys: Set<string>;
  private readonly allow: Set<string>;
  private readonly deny: Set<string>;
  private readonly now: () => number;
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** Counters for /v1/status and the load test. */
  readonly stats = { admitted: 0, limited: 0, denied: 0, connectionsRefused: 0, overflowed: 0 };

  constructor(options: ProtectionOptions) {
    this.preset = typeof options.preset === "string" ? PROTECTION_PRESETS[options.preset] : options.preset;
    this.apiKeys = new Set(options.apiKeys ?? []);
    this.allow = new Set((options.allow ?? []).map(normalizeIp));
    this.deny = new Set((options.deny ?? []).map(normalizeIp));
    this.now = options.now ?? Date.now;
    const anon = this.preset.anonymous;
    this.overflow = new TokenBucket({ requestsPerSecond: anon.rps, burst: anon.burst }, this.now);
    this.sweeper = setInterval(() => this.sweep(), this.preset.cleanupSec * 1000);
    this.sweeper.unref();
  }

  /** A new TCP connection from `ip`: false when over the per-client or the global cap. */
  openConnection(ip: string): boolean {
    const client = clientOf(ip);
    const n = this.connections.get(client) ?? 0;
    if (this.totalConnections >= this.preset.globalConnections || n >= this.preset.connectionsPerIp) {
      this.stats.connectionsRefused++;
      return false;
    }
    this.connections.set(client, n + 1);
    this.totalConnections++;
    return true;
  }

  closeConnection(ip: string): void {
    const client = clientOf(ip);
    const n = this.connections.get(client) ?? 0;
    if (n <= 1) this.connections.delete(client);
    else this.connections.set(client, n - 1);
    this.totalConnections = Math.max(0, this.totalConnections - 1);
  }

  get openConnections(): number {
    return this.totalConnections;
  }

  /** Admits one request (takes a token), or says why not. */
  admit(address: string, apiKey: string | undefined, cost = 1): Admission {
    const ip = normalizeIp(address);
    if (this.preset.listsEnabled && this.deny.has(ip)) {
      this.stats.denied++;
      return { ok: false, status: 403, reason: `${ip} is on the deny list` };
    }
    if (this.preset.listsEnabled && this.allow.has(ip)) {
      this.stats.admitted++;
      return { ok: true, client: `ip:${ip}` };
    }
    const keyed = apiKey !== undefined && this.apiKeys.has(apiKey);
    const limit = keyed ? this.preset.apiKey : this.preset.anonymous;
    const id = keyed ? "key" : `ip:${clientOf(ip)}`;
    const bucket = keyed ? this.keyBucket(apiKey) : this.clientBucket(id);
    const shared = bucket === this.overflow;
    for (let i = 0; i < cost; i++) {
      if (!bucket.tryTake()) {
        this.stats.limited++;
        return {
          ok: false,
          status: 429,
          reason: shared
            ? `rate limit: this guardian tracks ${this.preset.maxClients} clients; new ones share ${limit.rps} requests/s`
            : `rate limit: ${limit.rps} requests/s, burst ${limit.burst} per ${keyed ? "API key" : "client (IPv4 address or IPv6 /64)"}`,
          retryAfterSec: Math.max(1, Math.ceil(bucket.msUntilAvailable() / 1000)),
        };
      }
    }
    this.stats.admitted++;
    return { ok: true, client: id };
  }

  private keyBucket(apiKey: string): TokenBucket {
    let bucket = this.keyBuckets.get(apiKey);
    if (!bucket) {
      const { rps, burst } = this.preset.apiKey;
      bucket = new TokenBucket({ requestsPerSecond: rps, burst }, this.now);
      this.keyBuckets.set(apiKey, bucket);
    }
    return bucket;
  }

  /** The client's own bucket (moved to most recently used), a new one, or the shared overflow. */
  private clientBucket(id: string): TokenBucket {
    const now = this.now();
    let entry = this.buckets.get(id);
    if (entry) {
      this.buckets.delete(id);
    } else {
      if (this.buckets.size >= this.preset.maxClients) {
        const [oldestId, oldest] = this.buckets.entries().next().value as [string, Entry];
        if (!oldest.bucket.isFull()) {
          this.stats.overflowed++;
          return this.overflow;
        }
        this.buckets.delete(oldestId);
      }
      const { rps, burst } = this.preset.anonymous;
      entry = { bucket: new TokenBucket({ requestsPerSecond: rps, burst }, this.now), lastSeen: now };
    }
    entry.lastSeen = now;
    this.buckets.set(id, entry);
    return entry.bucket;
  }

  /** Drops buckets idle for longer than the preset's ttl. */
  sweep(): void {
    const cutoff = this.now() - this.preset.ttlSec * 1000;
    // Least recently used first: stop at the first one still in use.
    for (const [id, e] of this.buckets) {
      if (e.lastSeen >= cutoff) break;
      this.buckets.delete(id);
    }
  }

  get trackedClients(): number {
    return this.buckets.size;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
