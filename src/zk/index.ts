/**
 * Zero-knowledge proofs for zkUSD (docs/zk.md): circuits' metadata, witness builders from engine
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
  buildAttestationInput,
  ORACLE_SLOTS,
  type OraclePublicKey,
  type OracleSet,
  type OracleSignature,
  oracleSetHash,
} from "./attestation.ts";
export {
  assertCircuitName,
  CIRCUIT_NAMES,
  type CircuitName,
  isCircuitName,
  OPERATION_CODE,
  PUBLIC_SIGNALS,
  VAULT_CIRCUITS,
  type VaultCircuit,
  ZK_ERROR_MESSAGES,
  ZkError,
  type ZkErrorCode,
} from "./circuits.ts";
export { attestationHash, operationHash, poseidonHash, SNARK_FIELD } from "./hash.ts";
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
export { type VerificationKey, verifyProof } from "./verifier.ts";
export {
  type Attestation,
  buildWitness,
  type CircuitInput,
  engineOperation,
  GLOBAL_FIELD_ORDER,
  type ProveContext,
  type Witness,
  type ZkOperation,
} from "./witness.ts";
