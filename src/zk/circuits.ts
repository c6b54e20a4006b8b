/**
 * The zkUSD circuits: names, operation codes and public inputs (docs/zk.md). One circuit per
 * operation; vault circuits share `circuits/lib/vault.circom`.
 */

export const CIRCUIT_NAMES = [
  "deposit",
  "withdraw",
  "mint",
  "repay",
  "liquidate",
  "priceAttestation",
] as const;
export type CircuitName = (typeof CIRCUIT_NAMES)[number];

/** Vault adjustments proven as one state transition (oldRoot → newRoot). */
export const VAULT_CIRCUITS = ["deposit", "withdraw", "mint", "repay"] as const;
export type VaultCircuit = (typeof VAULT_CIRCUITS)[number];

/** The operation code hashed first into the operation hash (the circuit's KIND). */
export const OPERATION_CODE: Readonly<Record<VaultCircuit | "liquidate", bigint>> = {
  deposit: 1n,
  withdraw: 2n,
  mint: 3n,
  repay: 4n,
  liquidate: 5n,
};

/** Public signals in the order snarkjs lists them (the circuit's `public [...]` order). */
export const PUBLIC_SIGNALS: Readonly<Record<CircuitName, readonly string[]>> = {
  deposit: ["oldRoot", "newRoot", "operationHash", "attestationHash"],
  withdraw: ["oldRoot", "newRoot", "operationHash", "attestationHash"],
  mint: ["oldRoot", "newRoot", "operationHash", "attestationHash"],
  repay: ["oldRoot", "newRoot", "operationHash", "attestationHash"],
  liquidate: ["oldRoot", "operationHash", "attestationHash"],
  priceAttestation: ["oracleSetHash", "attestationHash"],
};

export function isCircuitName(name: unknown): name is CircuitName {
  return typeof name === "string" && (CIRCUIT_NAMES as readonly string[]).includes(name);
}

export function assertCircuitName(name: unknown): CircuitName {
  if (!isCircuitName(name)) {
    throw new ZkError(
      "unknownCircuit",
      `unknown circuit ${JSON.stringify(name)}; expected one of ${CIRCUIT_NAMES.join(", ")}`,
    );
  }
  return name;
}

export const ZK_ERROR_MESSAGES = {
  unknownCircuit: "There is no circuit with this name.",
  unsupportedOperation: "This operation has no circuit yet.",
  operationRejected: "The engine rejects this operation, so there is nothing to prove.",
  priceMismatch: "The attested price is not the state's current price.",
  constraintFailed: "The inputs break the circuit's rule; no proof can be made.",
  artifactMissing: "A proving artifact could not be loaded.",
  artifactHashMismatch: "A proving artifact does not match the manifest's SHA-256.",
  malformedProof: "The proof is not well formed.",
  malformedInput: "The circuit input is not well formed.",
  cancelled: "Proving was cancelled.",
} as const;
export type ZkErrorCode = keyof typeof ZK_ERROR_MESSAGES;

/** A typed zk error: `code` names the failure, `message` says what and where. */
export class ZkError extends Error {
  constructor(
    readonly code: ZkErrorCode,
    detail?: string,
  ) {
    super(detail ? `${ZK_ERROR_MESSAGES[code]} ${detail}` : ZK_ERROR_MESSAGES[code]);
    this.name = "ZkError";
  }
}
