/**
 * App side of the federation: send a PSBT the wallet signed (or will sign) to every configured
 * guardian at once, keep the first k valid co-signatures, and report who answered, refused or was
 * unreachable. `cosignFinalizeBroadcast` then merges wallet and guardian signatures, finalizes and
 * broadcasts. Runs in the browser and in Node (fetch only).
 */
import { base64 } from "@scure/base";
import { combinePsbts, type EsploraClient, type FinalTx, finalizePsbt, parsePsbt } from "../btc/index.ts";

export interface GuardianEndpoint {
  name: string;
  url: string;
}

export type GuardianAnswer =
  | {
      guardian: string;
      status: "signed";
      psbt: Uint8Array;
      signedInputs: number[];
      ms: number;
      proof?: string;
    }
  | { guardian: string; status: "refused"; code: string; reason: string; ms: number }
  | { guardian: string; status: "unreachable"; reason: string; ms: number }
  /** Not answered yet when the quorum was reached (its answer is not needed). */
  | { guardian: string; status: "pending"; ms: number };

export interface CosignOutcome {
  /** Signed copies from the guardians that signed (at most k are needed). */
  signed: Uint8Array[];
  answers: GuardianAnswer[];
  quorum: boolean;
}

export interface CosignOptions {
  threshold: number;
  timeoutMs?: number;
  apiKey?: string;
  fetch?: typeof fetch;
}

/** Asks every guardian to co-sign; resolves once k signed or all answered. */
export async function collectCosignatures(
  guardians: GuardianEndpoint[],
  psbt: Uint8Array,
  opts: CosignOptions,
): Promise<CosignOutcome> {
  const f = opts.fetch ?? fetch;
  const body = JSON.stringify({ psbt: base64.encode(psbt) });
  const answers: GuardianAnswer[] = [];
  const started = Date.now();
  const ask = async (g: GuardianEndpoint): Promise<GuardianAnswer> => {
    const t0 = Date.now();
    try {
      const res = await f(`${g.url}/v1/cosign`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(opts.apiKey ? { "x-api-key": opts.apiKey } : {}) },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
      });
      const json = (await res.json()) as {
        psbt?: string;
        signedInputs?: number[];
        proof?: string;
        error?: { code: string; reason: string };
      };
      if (res.ok && json.psbt) {
        const signed = base64.decode(json.psbt);
        const problem = differentTransaction(psbt, signed);
        if (problem)
          return {
            guardian: g.name,
            status: "refused",
            code: "differentTransaction",
            reason: problem,
            ms: Date.now() - t0,
          };
        return {
          guardian: g.name,
          status: "signed",
          psbt: signed,
          signedInputs: json.signedInputs ?? [],
          ms: Date.now() - t0,
          ...(json.proof ? { proof: json.proof } : {}),
        };
      }
      return {
        guardian: g.name,
        status: "refused",
        code: json.error?.code ?? `http${res.status}`,
        reason: json.error?.reason ?? `HTTP ${res.status}`,
        ms: Date.now() - t0,
      };
    } catch (error) {
      return {
        guardian: g.name,
        status: "unreachable",
        reason: (error as Error).message,
        ms: Date.now() - t0,
      };
    }
  };
  await new Promise<void>((resolve) => {
    let pending = guardians.length;
    if (pending === 0) resolve();
    for (const g of guardians) {
      void ask(g).then((a) => {
        answers.push(a);
        pending--;
        if (answers.filter((x) => x.status === "signed").length >= opts.threshold || pending === 0) resolve();
      });
    }
  });
  const signed = answers.flatMap((a) => (a.status === "signed" ? [a.psbt] : [])).slice(0, opts.threshold);
  const report: GuardianAnswer[] = [...answers];
  for (const g of guardians) {
    if (!report.some((a) => a.guardian === g.name))
      report.push({ guardian: g.name, status: "pending", ms: Date.now() - started });
  }
  return { signed, answers: report, quorum: signed.length >= opts.threshold };
}

/** A guardian's copy must be the same unsigned transaction (it may only add signatures). */
function differentTransaction(sent: Uint8Array, back: Uint8Array): string | null {
  try {
    const a = parsePsbt(sent).id;
    const b = parsePsbt(back).id;
    return a === b ? null : `returned a different transaction (${b}, sent ${a})`;
  } catch (error) {
    return `returned an unreadable PSBT: ${(error as Error).message}`;
  }
}

export class QuorumError extends Error {
  constructor(readonly answers: GuardianAnswer[]) {
    super(
      `no guardian quorum: ${answers.map((a) => `${a.guardian} ${a.status}${"reason" in a ? ` (${a.reason})` : ""}`).join("; ")}`,
    );
    this.name = "QuorumError";
  }
}

/** Collects k co-signatures, merges them with the wallet's, finalizes and broadcasts. */
export async function cosignFinalizeBroadcast(
  guardians: GuardianEndpoint[],
  walletSigned: Uint8Array,
  esplora: EsploraClient,
  opts: CosignOptions,
): Promise<{ txid: string; final: FinalTx; answers: GuardianAnswer[] }> {
  const outcome = await collectCosignatures(guardians, walletSigned, opts);
  if (!outcome.quorum) throw new QuorumError(outcome.answers);
  const final = finalizePsbt(combinePsbts([walletSigned, ...outcome.signed]));
  const txid = await esplora.broadcast(final.hex);
  return { txid, final, answers: outcome.answers };
}
