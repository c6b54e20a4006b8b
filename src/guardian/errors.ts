/** Typed guardian errors: a code, a sentence, and the detail. Refusals carry the reason to the caller. */
export const GUARDIAN_ERROR_MESSAGES = {
  invalidConfig: "The guardian configuration is invalid.",
  invalidRequest: "The request is malformed.",
  notFound: "Nothing was found there.",
  notSynced: "The guardian has not caught up with the chain yet.",
  refused: "The guardian refuses to sign.",
  rateLimited: "Too many requests.",
  forbidden: "This client is not allowed.",
  unavailable: "The guardian is not able to answer now.",
  unauthenticated: "This request needs a federation peer's signature.",
  conflict: "The guardian already signed something else for this.",
} as const;
export type GuardianErrorCode = keyof typeof GUARDIAN_ERROR_MESSAGES;

export class GuardianError extends Error {
  constructor(
    readonly code: GuardianErrorCode,
    readonly detail: string,
  ) {
    super(`${GUARDIAN_ERROR_MESSAGES[code]} ${detail}`);
    this.name = "GuardianError";
  }
}
