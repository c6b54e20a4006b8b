/** Node only: the memory store persisted to one JSON file (see memory.ts for the crash argument). */
import { open, readFile, rename } from "node:fs/promises";
import { decodeStoreFile, encodeStoreFile, type MemoryData, MemoryStore } from "./memory.ts";

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** Opens (or creates on first write) a file-backed store at `path`. */
export async function openFileStore(path: string): Promise<MemoryStore> {
  let data: MemoryData | undefined;
  try {
    data = decodeStoreFile(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return new MemoryStore(data, (d) => writeAtomically(path, encodeStoreFile(d)));
}
