/**
 * Node side of src/zk: artifacts read from the repository's public/ directory (or another), the
 * shutdown snarkjs needs (its curve keeps worker threads alive, so Node would never exit), and
 * `proveSpell`, the one way a Node harness (tests, e2e actors, benches) gives a vault spell its proof.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Spell, type SpellOperation, toOperation } from "../btc/spell.ts";
import { decodeAttestation } from "../oracle/attestation-codec.ts";
import { type AccountId, initPoseidon, type State } from "../protocol/index.ts";
import { ArtifactLoader, type ArtifactSource } from "./artifacts.ts";
import { ZkError } from "./circuits.ts";
import { compressProof, proofFromJson } from "./proof.ts";
import { prove } from "./prover.ts";
import { isVaultOperation } from "./vault.ts";
import { buildWitness, withDeclaredFee } from "./witness.ts";

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

let defaultArtifacts: ArtifactLoader | undefined;
/** Proofs made in this process by their public signals: a replay of the same history proves once. */
const proofCache = new Map<string, Uint8Array>();

/**
 * The spell with its vault proof, as the indexer will check it when `actor` casts it on `state`
 * (src/indexer/verify.ts): the engine operation of the spell, its borrowing fee declared as quoted now
 * (withDeclaredFee; an explicit `fee` is kept), proven against the vault's record and the context in
 * `state`, 128 bytes in the proof slot. The time is the one the indexer applies: the attestation's, or
 * the state's when that is later or there is none (a close). A spell that is no vault operation comes
 * back as it was. Throws ZkError("operationRejected") when the engine refuses the operation on `state`.
 * A proof for the same public signals is made once per process (a harness replaying the same history,
 * or the same vault change on the same record and context, reuses it: it verifies for both).
 */
export async function proveSpell<Op extends SpellOperation>(
  spell: Spell & { op: Op },
  actor: AccountId,
  state: State,
  artifacts?: ArtifactLoader,
): Promise<Spell & { op: Op }> {
  const op = toOperation(spell.op, actor);
  if (!isVaultOperation(op)) return spell;
  await initPoseidon();
  const att = spell.attestation.length > 0 ? decodeAttestation(spell.attestation) : undefined;
  const attested = att ? BigInt(att.timestamp) : state.g.time;
  const time = attested > state.g.time ? attested : state.g.time;
  const ctx = {
    time,
    attestation: { price: att?.price ?? state.g.price, timestamp: attested, round: att?.round ?? 0n },
  };
  const declared = withDeclaredFee(op, state, ctx);
  // the spell carries the fee its proof binds (the engine op has no custody fields: keep the spell's)
  const withFee =
    "fee" in declared && declared.fee !== undefined ? ({ ...spell.op, fee: declared.fee } as Op) : spell.op;
  const key = buildWitness(declared, state, ctx).publicSignals.join();
  let proof = proofCache.get(key);
  if (!proof) {
    defaultArtifacts ??= nodeArtifacts();
    const result = await prove(declared, state, ctx, artifacts ?? defaultArtifacts);
    proof = compressProof(proofFromJson(result.proof));
    proofCache.set(key, proof);
  }
  return { ...spell, op: withFee, proof };
}
