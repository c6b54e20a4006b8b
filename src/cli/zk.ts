/**
 * `zkusd prove CIRCUIT INPUT.json --out DIR` writes snarkjs-standard proof.json and public.json and
 * copies the circuit's verification_key.json; `zkusd verify DIR` checks them (@noble/curves verifier).
 * Artifacts come from public/zk (SHA-256-checked against its manifest) unless --artifacts says otherwise.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import {
  assertCircuitName,
  compressProof,
  proofFromJson,
  proveInput,
  verifyProof,
  ZkError,
} from "../zk/index.ts";
import { nodeArtifacts, PUBLIC_DIR, terminateProver } from "../zk/node.ts";

const EXIT_BAD_INPUT = 1;
const EXIT_REFUSED = 3;

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, "utf8"));
}

function fail(command: string, message: string, code: number): void {
  process.stderr.write(`zkusd ${command}: ${message}\n`);
  process.exitCode = code;
}

export function registerZkProve(prove: Command): void {
  prove
    .argument("<circuit>", "circuit name")
    .argument("<input>", "circuit input JSON (see circuits/examples)")
    .requiredOption("--out <dir>", "output directory")
    .option("--artifacts <dir>", "directory holding zk/manifest.json", PUBLIC_DIR)
    .option("--single-thread", "prove without worker threads")
    .action(
      async (
        circuitArg: string,
        inputPath: string,
        opts: { out: string; artifacts: string; singleThread?: boolean },
      ) => {
        let input: Record<string, string | string[]>;
        try {
          assertCircuitName(circuitArg);
          input = (await readJson(inputPath)) as Record<string, string | string[]>;
        } catch (error) {
          return fail("prove", (error as Error).message, EXIT_BAD_INPUT);
        }
        const circuit = assertCircuitName(circuitArg);
        const artifacts = nodeArtifacts(opts.artifacts);
        try {
          const result = await proveInput(circuit, input, artifacts, {
            singleThread: opts.singleThread ?? false,
          });
          const vkey = await artifacts.load(circuit, "vkey");
          await mkdir(opts.out, { recursive: true });
          await writeFile(join(opts.out, "proof.json"), `${JSON.stringify(result.proof, null, 1)}\n`);
          await writeFile(
            join(opts.out, "public.json"),
            `${JSON.stringify(result.publicSignals, null, 1)}\n`,
          );
          await writeFile(join(opts.out, "verification_key.json"), vkey);
          const t = result.timings;
          process.stdout.write(
            `${circuit}: proof written to ${opts.out} (witness ${t.witnessMs.toFixed(0)} ms, proving ${t.proveMs.toFixed(0)} ms)\n` +
              `compressed: ${Buffer.from(compressProof(proofFromJson(result.proof))).toString("hex")}\n`,
          );
        } catch (error) {
          const refused = error instanceof ZkError && error.code === "constraintFailed";
          fail("prove", (error as Error).message, refused ? EXIT_REFUSED : EXIT_BAD_INPUT);
        } finally {
          await terminateProver();
        }
      },
    );
}

export function registerZkVerify(verify: Command): void {
  verify.argument("<dir>", "directory written by `zkusd prove`").action(async (dir: string) => {
    let vk: unknown;
    let publicSignals: unknown;
    let proof: unknown;
    try {
      [vk, publicSignals, proof] = await Promise.all(
        ["verification_key.json", "public.json", "proof.json"].map((f) => readJson(join(dir, f))),
      );
    } catch (error) {
      return fail("verify", (error as Error).message, EXIT_BAD_INPUT);
    }
    if (!Array.isArray(publicSignals) || !publicSignals.every((s) => typeof s === "string")) {
      return fail("verify", "public.json must be an array of decimal strings", EXIT_BAD_INPUT);
    }
    let ok: boolean;
    try {
      ok = verifyProof(
        vk as Parameters<typeof verifyProof>[0],
        publicSignals,
        proof as Parameters<typeof verifyProof>[2],
      );
    } catch (error) {
      return fail("verify", (error as Error).message, EXIT_BAD_INPUT);
    }
    if (ok) process.stdout.write("valid\n");
    else fail("verify", "invalid proof", EXIT_REFUSED);
  });
}
