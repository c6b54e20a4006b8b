/**
 * Zero-knowledge proofs for zkUSD (docs/zk.md): the vault circuit's statement and witness from engine
 * state, the prover (snarkjs, run it in workers/prover.worker.ts in the browser), the verifier
 * (@noble/curves), proof encodings (snarkjs JSON, 128-byte compressed) and the artifact loader.
 * Node-only helpers (files, shutdown) are in ./node.ts.
 */
export {
  type ArtifactKind,
  ArtifactLoader,
  type ArtifactSource,
  type ArtifactStore,
  cacheStorageStore,
  fetchSource,
  type Manifest,
  type ManifestCircuit,
  sha256Hex,
} from "./artifacts.ts";
export {
  assertCircuitName,
  CIRCUIT_NAMES,
  type CircuitName,
  isCircuitName,
  PUBLIC_SIGNALS,
  ZK_ERROR_MESSAGES,
  ZkError,
  type ZkErrorCode,
} from "./circuits.ts";
export { poseidonHash, SNARK_FIELD } from "./hash.ts";
export {
  COMPRESSED_PROOF_BYTES,
  compressProof,
  decompressProof,
  type Groth16Proof,
  proofFromJson,
  proofToJson,
  type SnarkjsProof,
} from "./proof.ts";
export {
  explainWitnessError,
  type ProveOptions,
  type ProvePhase,
  type ProveProgress,
  type ProveResult,
  prove,
  proveInput,
} from "./prover.ts";
export {
  contextHash,
  isVaultOperation,
  recordHash,
  VAULT_KIND,
  type VaultContext,
  type VaultOperation,
  type VaultRecord,
  vaultContext,
  vaultOpHash,
  vaultPublicSignals,
  vaultRecord,
} from "./vault.ts";
export { type VerificationKey, verifyProof } from "./verifier.ts";
export {
  type Attestation,
  borrows,
  buildWitness,
  type CircuitInput,
  type ProveContext,
  type Witness,
  withDeclaredFee,
  type ZkOperation,
} from "./witness.ts";
