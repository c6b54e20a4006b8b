/**
 * The cost of refusing a lie (issue 14): a lying Esplora serves a 4 MB body of junk witness items
 * under a real header. `refused` is today's path (merkle root checked on a first pass that keeps no
 * witness item); `materialized` parses the same junk under a header that commits to it, which is
 * what main paid before it could refuse (every item a Uint8Array view, then the merkle check).
 */
import { displayHex, parseBlock, sha256d } from "../src/btc/block.ts";
import type { Figure } from "./run.ts";

const ITEMS = 3_999_000;

function junkBlock(commit: boolean): { raw: Uint8Array; hash: string } {
  const le = (v: number, k: number) => {
    const b = Buffer.alloc(k);
    b.writeUIntLE(v, 0, k);
    return b;
  };
  const body = [
    le(2, 4),
    Buffer.from([1]),
    Buffer.alloc(32, 1),
    le(0, 4),
    Buffer.from([0]),
    le(0xffffffff, 4),
  ];
  const outputs = [Buffer.from([1]), Buffer.alloc(8), Buffer.from([0])];
  const stripped = Buffer.concat([...body, ...outputs, le(0, 4)]);
  const tx = Buffer.concat([
    le(2, 4),
    Buffer.from([0, 1]),
    ...body.slice(1),
    ...outputs,
    Buffer.from([0xfe]),
    le(ITEMS, 4),
    Buffer.alloc(ITEMS, 0),
    le(0, 4),
  ]);
  const header = Buffer.alloc(80);
  header.writeUInt32LE(0x20000000, 0);
  if (commit) Buffer.from(sha256d(stripped)).copy(header, 36);
  header.writeUInt32LE(0x207fffff, 72);
  const raw = new Uint8Array(Buffer.concat([header, Buffer.from([1]), tx]));
  return { raw, hash: displayHex(sha256d(raw.subarray(0, 80))) };
}

function measure(commit: boolean): { ms: number; heapMB: number } {
  const { raw, hash } = junkBlock(commit);
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let kept: unknown;
  try {
    kept = parseBlock(raw, hash);
  } catch {
    // refused, as expected for the uncommitted body (and for the committed one: it has no coinbase)
  }
  const ms = performance.now() - t0;
  const heapMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  void kept;
  return { ms, heapMB };
}

export function run(): Figure[] {
  const refused = measure(false);
  const materialized = measure(true);
  return [
    { name: "4 MB junk-witness block: refused (merkle first)", value: refused.ms, unit: "ms" },
    { name: "4 MB junk-witness block: refused, heap growth", value: refused.heapMB, unit: "MB" },
    { name: "same, every witness item materialized (main before)", value: materialized.ms, unit: "ms" },
    { name: "same, materialized, heap growth", value: materialized.heapMB, unit: "MB" },
  ];
}
