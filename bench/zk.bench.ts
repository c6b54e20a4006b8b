/**
 * Proving benchmarks (issue 9): per circuit, constraints, artifact sizes, witness and proving time in
 * Node (threads), verify time (@noble/curves), and proving time in headless Chromium (prover worker,
 * same machine, same run). Proofs use circuits/examples/CIRCUIT.json; warm figures are the median of
 * runs 2–4 (run 1 includes wasm compilation and thread start-up).
 * Targets: each proof ≤ 2 s in Node on the 2-core machine; Chromium within 1.3× of Node.
 */
import { readFile } from "node:fs/promises";
import { CIRCUIT_NAMES, type CircuitName, proveInput, verifyProof } from "../src/zk/index.ts";
import { nodeArtifacts, terminateProver } from "../src/zk/node.ts";
import type { Figure } from "./run.ts";

const RUNS = 4;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const example = async (name: string) => JSON.parse(await readFile(`circuits/examples/${name}.json`, "utf8"));

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const artifacts = nodeArtifacts();
  const manifest = await artifacts.manifest();
  const nodeProve = new Map<CircuitName, number>();
  for (const name of CIRCUIT_NAMES) {
    const c = manifest.circuits.find((x) => x.name === name)!;
    const input = await example(name);
    const witness: number[] = [];
    const proving: number[] = [];
    let last: Awaited<ReturnType<typeof proveInput>> | undefined;
    for (let i = 0; i < RUNS; i++) {
      last = await proveInput(name, input, artifacts);
      if (i > 0) {
        witness.push(last.timings.witnessMs);
        proving.push(last.timings.proveMs);
      }
    }
    const vk = await artifacts.verificationKey(name);
    verifyProof(vk, last!.publicSignals, last!.proof); // warm the pairing precompute
    const t = performance.now();
    const ok = verifyProof(vk, last!.publicSignals, last!.proof);
    const verifyMs = performance.now() - t;
    if (!ok) throw new Error(`${name}: proof did not verify`);
    const total = median(witness) + median(proving);
    nodeProve.set(name, total);
    figures.push(
      { name: `${name}: constraints`, value: c.constraints, unit: "constraints", target: "≤ 30000" },
      { name: `${name}: zkey`, value: +(c.files.zkey.bytes / 1e6).toFixed(2), unit: "MB" },
      { name: `${name}: wasm`, value: +(c.files.wasm.bytes / 1e6).toFixed(2), unit: "MB" },
      { name: `${name}: Node witness`, value: Math.round(median(witness)), unit: "ms" },
      {
        name: `${name}: Node proof (witness + prove)`,
        value: Math.round(total),
        unit: "ms",
        target: "≤ 2000",
      },
      { name: `${name}: Node verify (noble)`, value: Math.round(verifyMs), unit: "ms" },
    );
  }
  await terminateProver();

  const { openZkPage } = await import("../e2e/fixtures/zk-server.ts");
  const session = await openZkPage();
  try {
    for (const name of CIRCUIT_NAMES) {
      const input = await example(name);
      const times = (await session.page.evaluate(
        async ({ name, input, runs }) => {
          const z = (
            window as unknown as { zkProver: { prove(n: string, i: unknown): Promise<{ totalMs: number }> } }
          ).zkProver;
          const out: number[] = [];
          for (let i = 0; i < runs; i++) out.push((await z.prove(name, input)).totalMs);
          return out;
        },
        { name, input, runs: RUNS },
      )) as number[];
      const warm = median(times.slice(1));
      const ratio = warm / nodeProve.get(name)!;
      figures.push(
        { name: `${name}: Chromium proof (worker, cold)`, value: Math.round(times[0]!), unit: "ms" },
        { name: `${name}: Chromium proof (worker, warm)`, value: Math.round(warm), unit: "ms" },
        { name: `${name}: Chromium / Node`, value: +ratio.toFixed(2), unit: "×", target: "≤ 1.3" },
      );
    }
  } finally {
    await session.close();
  }
  return figures;
}
