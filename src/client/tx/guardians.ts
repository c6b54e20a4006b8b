/**
 * The flow's first step: the federation's latest price attestation (GET /v1/price on each configured
 * guardian). The encoded attestation is decoded and must carry at least k signatures; the answer
 * says in plain words what failed when it cannot be used.
 */

import { fromHex } from "../../btc/scripts.ts";
import { decodeAttestation } from "../../oracle/attestation-codec.ts";

export interface PriceAttestationAnswer {
  price: bigint;
  timestamp: number;
  signers: number;
  /** The attestation bytes a spell carries. */
  bytes: Uint8Array;
  guardian: string;
}

/** Asks each guardian in turn for the latest attestation; the first usable answer wins. */
export async function fetchAttestation(
  urls: string[],
  threshold: number,
  fetchFn: typeof fetch = fetch,
): Promise<{ ok: true; answer: PriceAttestationAnswer } | { ok: false; reason: string }> {
  if (urls.length === 0) {
    return {
      ok: false,
      reason:
        "No guardian is configured, so no price attestation can be requested. Add the federation's URLs in Settings → Guardians, then try again.",
    };
  }
  const problems: string[] = [];
  for (const url of urls) {
    const base = url.replace(/\/+$/, "");
    try {
      const res = await fetchFn(`${base}/v1/price`, { signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as {
        price?: string;
        timestamp?: number;
        signers?: number[];
        attestation?: string;
        error?: { message?: string } | string;
      };
      if (!res.ok || !body.attestation || !body.price) {
        const why =
          typeof body.error === "string" ? body.error : (body.error?.message ?? `HTTP ${res.status}`);
        problems.push(`${base} refused: ${why}`);
        continue;
      }
      const bytes = fromHex(body.attestation);
      decodeAttestation(bytes); // must be a well-formed attestation
      const signers = body.signers?.length ?? 0;
      if (signers < threshold) {
        problems.push(
          `${base} has an attestation with ${signers} signatures, fewer than the ${threshold} required`,
        );
        continue;
      }
      return {
        ok: true,
        answer: { price: BigInt(body.price), timestamp: body.timestamp ?? 0, signers, bytes, guardian: base },
      };
    } catch (error) {
      problems.push(`${base} did not answer (${(error as Error).message})`);
    }
  }
  return {
    ok: false,
    reason: `No guardian gave a usable price attestation: ${problems.join("; ")}. Check the guardian URLs in Settings, or try again in a minute.`,
  };
}
