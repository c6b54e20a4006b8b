/**
 * JSON with bigints and bytes, for files and backups: a bigint is written as {"$n": "123"}, bytes as
 * {"$b": "hex"}. Object keys keep their insertion order, so the same records give the same bytes.
 */
import { hex } from "@scure/base";

const isTagged = (v: unknown, tag: string): v is Record<string, string> =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  typeof (v as Record<string, unknown>)[tag] === "string";

function unhex(s: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(s)) throw new Error("expected hex bytes");
  return hex.decode(s);
}

export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === "bigint") return { $n: v.toString() };
      if (v instanceof Uint8Array) return { $b: hex.encode(v) };
      return v;
    },
    space,
  );
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (isTagged(v, "$n")) {
      if (!/^-?\d+$/.test(v.$n!)) throw new Error(`bad bigint ${v.$n}`);
      return BigInt(v.$n!);
    }
    if (isTagged(v, "$b")) return unhex(v.$b!);
    return v;
  }) as T;
}

/** A value with bigints turned into decimal strings (records shown to users and sent as JSON). */
export function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
