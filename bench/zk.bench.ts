/**
 * Proving benchmarks (issues 9 and 16): the vault circuit's constraints, artifact sizes (raw, brotli,
 * gzip), witness and proving time in Node (threads), verify time (@noble/curves), and proving time in
 * headless Chromium (prover worker, same machine, same run), next to the figures of the issue-9
 * circuits it replaced (bench/zk-before-16.json, measured with their artifacts before they were
 * deleted). Proofs use circuits/examples/vault.json; warm figures are the median of runs 2–4 (run 1
 * includes wasm compilation and thread start-up).
 * Targets (issue 16): a vault proof ≤ 1.0 s; wasm + zkey ≤ 3 MB brotli per circuit.
 */
import { readFile } from "node:fs/promises";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { CIRCUIT_NAMES, proveInput, verifyProof } from "../src/zk/index.ts";
import { nodeArtifacts, PUBLIC_DIR, terminateProver } from "../src/zk/node.ts";
import type { Figure } from "./run.ts";

const RUNS = 4;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const example = async (name: string) => JSON.parse(await readFile(`circuits/examples/${name}.json`, "utf8"));
const MB = (bytes: number) => +(bytes / 1e6).toFixed(2);
const brotli = (b: Uint8Array) =>
  brotliCompressSync(b, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24 },
  }).length;

interface Before {
  measured: string;
  circuits: Record<
    string,
    {
      constraints: number;
      wasm: number;
      zkey: number;
      wasmBr: number;
      zkeyBr: number;
      witnessMs?: number;
      proveMs?: number;
      verifyMs?: number;
    }
  >;
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const before = JSON.parse(await readFile("bench/zk-before-16.json", "utf8")) as Before;
  for (const [name, c] of Object.entries(before.circuits)) {
    figures.push(
      { name: `before #16 ${name}: constraints`, value: c.constraints, unit: "constraints" },
      { name: `before #16 ${name}: wasm + zkey`, value: MB(c.wasm + c.zkey), unit: "MB" },
      { name: `before #16 ${name}: wasm + zkey brotli`, value: MB(c.wasmBr + c.zkeyBr), unit: "MB" },
    );
    if (c.witnessMs === undefined || c.proveMs === undefined || c.verifyMs === undefined) continue;
    figures.push(
      { name: `before #16 ${name}: Node witness (loaded run)`, value: c.witnessMs, unit: "ms" },
      { name: `before #16 ${name}: Node proof (loaded run)`, value: c.witnessMs + c.proveMs, unit: "ms" },
      { name: `before #16 ${name}: Node verify (loaded run)`, value: c.verifyMs, unit: "ms" },
    );
  }
  figures.push({
    name: "before #16: all downloads brotli",
    value: MB(Object.values(before.circuits).reduce((a, c) => a + c.wasmBr + c.zkeyBr, 0)),
    unit: "MB",
  });

  const artifacts = nodeArtifacts();
  const manifest = await artifacts.manifest();
  const nodeProve = new Map<string, number>();
  for (const name of CIRCUIT_NAMES) {
    const c = manifest.circuits.find((x) => x.name === name)!;
    const wasm = await readFile(`${PUBLIC_DIR}/${c.files.wasm.path}`);
    const zkey = await readFile(`${PUBLIC_DIR}/${c.files.zkey.path}`);
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
      { name: `${name}: constraints`, value: c.constraints, unit: "constraints" },
      { name: `${name}: zkey`, value: MB(zkey.length), unit: "MB" },
      { name: `${name}: wasm`, value: MB(wasm.length), unit: "MB" },
      { name: `${name}: zkey brotli`, value: MB(brotli(zkey)), unit: "MB" },
      { name: `${name}: wasm brotli`, value: MB(brotli(wasm)), unit: "MB" },
      {
        name: `${name}: wasm + zkey brotli`,
        value: MB(brotli(zkey) + brotli(wasm)),
        unit: "MB",
        target: "≤ 3",
      },
      {
        name: `${name}: wasm + zkey gzip`,
        value: MB(gzipSync(zkey).length + gzipSync(wasm).length),
        unit: "MB",
      },
      { name: `${name}: Node witness`, value: Math.round(median(witness)), unit: "ms" },
      {
        name: `${name}: Node proof (witness + prove)`,
        value: Math.round(total),
        unit: "ms",
        target: "≤ 1000",
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
      figures.push(
        { name: `${name}: Chromium proof (worker, cold)`, value: Math.round(times[0]!), unit: "ms" },
        {
          name: `${name}: Chromium proof (worker, warm)`,
          value: Math.round(warm),
          unit: "ms",
          target: "≤ 1000",
        },
        { name: `${name}: Chromium / Node`, value: +(warm / nodeProve.get(name)!).toFixed(2), unit: "×" },
      );
    }
  } finally {
    await session.close();
  }
  return figures;
}
