/**
 * Node side of src/zk: artifacts read from the repository's public/ directory (or another), and the
 * shutdown snarkjs needs (its curve keeps worker threads alive, so Node would never exit).
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactLoader, type ArtifactSource } from "./artifacts.ts";
import { ZkError } from "./circuits.ts";

/** public/ of this repository. */
export const PUBLIC_DIR = resolve(fileURLToPath(new URL("../../public", import.meta.url)));

export function fileSource(dir = PUBLIC_DIR): ArtifactSource {
  return async (path) => {
    try {
      return new Uint8Array(await readFile(join(dir, path)));
    } catch (error) {
      throw new ZkError("artifactMissing", `${join(dir, path)}: ${(error as Error).message}`);
    }
  };
}

/** An artifact loader over files (memory-cached for the life of the process). */
export function nodeArtifacts(dir = PUBLIC_DIR): ArtifactLoader {
  return new ArtifactLoader(fileSource(dir));
}

/** Stops snarkjs's curve worker threads; call once when done proving (tests: afterAll). */
export async function terminateProver(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  await g.curve_bn128?.terminate();
  g.curve_bn128 = undefined;
}
