/**
 * The zkUSD circuit: its name and public inputs (docs/zk.md). One circuit, `vault`, proves every change
 * an owner makes to their own vault (circuits/lib/vault.circom).
 */

export const CIRCUIT_NAMES = ["vault"] as const;
export type CircuitName = (typeof CIRCUIT_NAMES)[number];

/** Public signals in the order snarkjs lists them (the template's declaration order). */
export const PUBLIC_SIGNALS: Readonly<Record<CircuitName, readonly string[]>> = {
  vault: ["recordBefore", "recordAfter", "operationHash", "contextHash"],
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
