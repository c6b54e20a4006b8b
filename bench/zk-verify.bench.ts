/**
 * Verification throughput for sync (issue 16), old and new side by side in one run: the reference
 * verifier (@noble/curves, one proof at a time, what the indexer used) against the batch verifier
 * (src/zk/batch.ts, mcl-wasm: one proof alone, and batches of 1, 16, 64, 256 with random linear
 * combinations), in Node and in a Chromium module worker (the engine worker's setting). Proofs are
 * real: two proofs of the first circuit with an example in circuits/examples, repeated to the batch
 * size (every copy is fully checked). Each batch size is repeated (`repeats`) and the best time
 * counts, and so for one-at-a-time figures (best of 16 proofs): the machine is shared, and the best
 * run is the one least disturbed by others, for old and new alike. Target: ≥ 300 proofs/s.
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import type { VerifyBenchResult } from "../e2e/fixtures/zk-verify.worker.ts";
import { cryptoRandom, loadBatchVerifier, type ProofCheck } from "../src/zk/batch.ts";
import { proveInput } from "../src/zk/index.ts";
import { nodeArtifacts, terminateProver } from "../src/zk/node.ts";
import { compressProof, proofFromJson } from "../src/zk/proof.ts";
import { verifyProof } from "../src/zk/verifier.ts";
import type { Figure } from "./run.ts";

const SIZES = [1, 16, 64, 256];
const SINGLES = 16;
/** Batches of each size are repeated until 512 proofs went through (at least twice); the best counts. */
export const repeats = (n: number) => Math.max(2, Math.ceil(512 / n));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const perSecond = (ms: number) => Math.round(1000 / ms);

export async function run(): Promise<Figure[]> {
  const artifacts = nodeArtifacts();
  const manifest = await artifacts.manifest();
  let circuit: string | undefined;
  let input: unknown;
  for (const c of manifest.circuits) {
    try {
      input = JSON.parse(await readFile(`circuits/examples/${c.name}.json`, "utf8"));
      circuit = c.name;
      break;
    } catch {}
  }
  if (!circuit) throw new Error("no circuit in the manifest has an example input");
  const name = circuit as Parameters<typeof proveInput>[0];
  const proved = [
    await proveInput(name, input as never, artifacts),
    await proveInput(name, input as never, artifacts),
  ];
  await terminateProver();
  const vk = await artifacts.verificationKey(name);
  const checks: ProofCheck[] = proved.map((p) => ({
    vk,
    publicSignals: p.publicSignals,
    proof: compressProof(proofFromJson(p.proof)),
  }));
  const label = `${circuit} (${vk.nPublic} public inputs)`;

  // The machine is shared: the load says how far absolute figures are from an idle machine's.
  const figures: Figure[] = [
    { name: "load average (1 min) at start", value: +loadavg()[0]!.toFixed(2), unit: "" },
  ];
  const add = (where: string, what: string, msPerProof: number, target?: string) =>
    figures.push({
      name: `${where}: ${what}`,
      value: perSecond(msPerProof),
      unit: "proofs/s",
      ...(target ? { target } : {}),
    });

  // Node.
  const bv = await loadBatchVerifier();
  verifyProof(vk, checks[0]!.publicSignals, checks[0]!.proof);
  let t = 0;
  let single = Number.POSITIVE_INFINITY;
  for (let i = 0; i < SINGLES; i++) {
    const c = checks[i % 2]!;
    t = performance.now();
    if (!verifyProof(vk, c.publicSignals, c.proof)) throw new Error("noble refused a valid proof");
    single = Math.min(single, performance.now() - t);
  }
  add("Node", `old: noble, one at a time, ${label}`, single);
  bv.verify(vk, checks[0]!.publicSignals, checks[0]!.proof);
  single = Number.POSITIVE_INFINITY;
  for (let i = 0; i < SINGLES; i++) {
    const c = checks[i % 2]!;
    t = performance.now();
    if (!bv.verify(vk, c.publicSignals, c.proof)) throw new Error("the batch verifier refused a valid proof");
    single = Math.min(single, performance.now() - t);
  }
  add("Node", "new: wasm, one at a time", single);
  bv.invalid([checks[0]!, checks[1]!], cryptoRandom); // warm
  for (const n of SIZES) {
    const batch = Array.from({ length: n }, (_, i) => checks[i % 2]!);
    let best = Number.POSITIVE_INFINITY;
    for (let rep = 0; rep < repeats(n); rep++) {
      t = performance.now();
      if (bv.invalid(batch, cryptoRandom).length > 0) throw new Error("a valid batch was refused");
      best = Math.min(best, (performance.now() - t) / n);
    }
    add("Node", `new: wasm batch of ${n}`, best, n >= 64 ? "≥ 300" : undefined);
  }

  // Chromium, module worker.
  const { openZkPage } = await import("../e2e/fixtures/zk-server.ts");
  const session = await openZkPage("e2e/fixtures/zk-verify.html", [
    "e2e/fixtures/zk-verify.html",
    "e2e/fixtures/zk-verify.worker.ts",
  ]);
  try {
    const request = {
      vk,
      proofs: checks.map((c) => ({
        publicSignals: c.publicSignals.map(String),
        proofHex: hex(c.proof as Uint8Array),
      })),
      sizes: SIZES,
      singles: SINGLES,
    };
    const r = (await session.page.evaluate(
      (req) => (window as unknown as { zkVerifyBench(r: unknown): Promise<unknown> }).zkVerifyBench(req),
      request,
    )) as VerifyBenchResult;
    if (!r.allValid) throw new Error("Chromium refused a valid proof");
    add("Chromium worker", "old: noble, one at a time", r.nobleMsPerProof);
    add("Chromium worker", "new: wasm, one at a time", r.wasmSingleMsPerProof);
    for (const n of SIZES) {
      add("Chromium worker", `new: wasm batch of ${n}`, r.batchMsPerProof[n]!, n >= 64 ? "≥ 300" : undefined);
    }
    if (session.problems.length > 0) throw new Error(`Chromium: ${session.problems.join("; ")}`);
  } finally {
    await session.close();
  }
  figures.push({ name: "load average (1 min) at end", value: +loadavg()[0]!.toFixed(2), unit: "" });
  return figures;
}
