/**
 * Request protection for the guardian API: token buckets per client IP and per API key (each with a
 * burst), allow and deny lists, a per-IP and a global connection cap. Presets are the seed's
 * (`rpc/rate_limiter.rs`, reference/seed-notes.md §1): buckets start full; idle buckets are dropped
 * after `ttlSec`, swept every `cleanupSec`. Allow and deny lists are on except in `development`
 * (as the seed); an allow-listed IP skips the rate limit, a deny-listed one is refused outright.
 */
import { TokenBucket } from "../oracle/index.ts";

export interface ProtectionPreset {
  anonymous: { rps: number; burst: number };
  apiKey: { rps: number; burst: number };
  cleanupSec: number;
  ttlSec: number;
  connectionsPerIp: number;
  globalConnections: number;
  listsEnabled: boolean;
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
  },
  high_traffic: {
    anonymous: { rps: 50, burst: 100 },
    apiKey: { rps: 500, burst: 1000 },
    cleanupSec: 30,
    ttlSec: 180,
    connectionsPerIp: 500,
    globalConnections: 50_000,
    listsEnabled: true,
  },
  development: {
    anonymous: { rps: 1000, burst: 2000 },
    apiKey: { rps: 5000, burst: 10_000 },
    cleanupSec: 300,
    ttlSec: 600,
    connectionsPerIp: 1000,
    globalConnections: 100_000,
    listsEnabled: false,
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
export const normalizeIp = (ip: string | undefined): string => (ip ?? "unknown").replace(/^::ffff:/, "");

export class Protection {
  readonly preset: ProtectionPreset;
  private readonly buckets = new Map<string, Entry>();
  private readonly connections = new Map<string, number>();
  private totalConnections = 0;
  private readonly apiKeys: Set<string>;
  private readonly allow: Set<string>;
  private readonly deny: Set<string>;
  private readonly now: () => number;
  private readonly sweeper: ReturnType<typeof setInterval>;
  /** Counters for /v1/status and the load test. */
  readonly stats = { admitted: 0, limited: 0, denied: 0, connectionsRefused: 0 };

  constructor(options: ProtectionOptions) {
    this.preset = typeof options.preset === "string" ? PROTECTION_PRESETS[options.preset] : options.preset;
    this.apiKeys = new Set(options.apiKeys ?? []);
    this.allow = new Set((options.allow ?? []).map(normalizeIp));
    this.deny = new Set((options.deny ?? []).map(normalizeIp));
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), this.preset.cleanupSec * 1000);
    this.sweeper.unref();
  }

  /** A new TCP connection from `ip`: false when over the per-IP or the global cap. */
  openConnection(ip: string): boolean {
    const n = this.connections.get(ip) ?? 0;
    if (this.totalConnections >= this.preset.globalConnections || n >= this.preset.connectionsPerIp) {
      this.stats.connectionsRefused++;
      return false;
    }
    this.connections.set(ip, n + 1);
    this.totalConnections++;
    return true;
  }

  closeConnection(ip: string): void {
    const n = this.connections.get(ip) ?? 0;
    if (n <= 1) this.connections.delete(ip);
    else this.connections.set(ip, n - 1);
    this.totalConnections = Math.max(0, this.totalConnections - 1);
  }

  get openConnections(): number {
    return this.totalConnections;
  }

  /** Admits one request (takes a token), or says why not. */
  admit(ip: string, apiKey: string | undefined, cost = 1): Admission {
    if (this.preset.listsEnabled && this.deny.has(ip)) {
      this.stats.denied++;
      return { ok: false, status: 403, reason: `${ip} is on the deny list` };
    }
    if (this.preset.listsEnabled && this.allow.has(ip)) {
      this.stats.admitted++;
      return { ok: true, client: `ip:${ip}` };
    }
    const keyed = apiKey !== undefined && this.apiKeys.has(apiKey);
    const id = keyed ? `key:${apiKey}` : `ip:${ip}`;
    const limit = keyed ? this.preset.apiKey : this.preset.anonymous;
    let entry = this.buckets.get(id);
    if (!entry) {
      entry = {
        bucket: new TokenBucket({ requestsPerSecond: limit.rps, burst: limit.burst }, this.now),
        lastSeen: 0,
      };
      this.buckets.set(id, entry);
    }
    entry.lastSeen = this.now();
    for (let i = 0; i < cost; i++) {
      if (!entry.bucket.tryTake()) {
        this.stats.limited++;
        return {
          ok: false,
          status: 429,
          reason: `rate limit: ${limit.rps} requests/s, burst ${limit.burst} per ${keyed ? "API key" : "IP"}`,
          retryAfterSec: Math.max(1, Math.ceil(entry.bucket.msUntilAvailable() / 1000)),
        };
      }
    }
    this.stats.admitted++;
    return { ok: true, client: keyed ? "key" : id };
  }

  /** Drops buckets idle for longer than the preset's ttl. */
  sweep(): void {
    const cutoff = this.now() - this.preset.ttlSec * 1000;
    for (const [id, e] of this.buckets) if (e.lastSeen < cutoff) this.buckets.delete(id);
  }

  get trackedClients(): number {
    return this.buckets.size;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}
