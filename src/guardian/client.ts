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

/** The federation as its guardians publish it (GET /v1/federation). */
export interface PublishedFederation {
  network: string;
  threshold: number;
  csvBlocks: number;
  members: { name: string; url: string; custodyKey: string; oracleKey: [string, string] }[];
  oracleThreshold: number;
  startHeight: number;
  params: Record<string, string | boolean>;
}

/** Why the federation could not be learnt from the configured guardians, in plain words. */
export class FederationError extends Error {
  override readonly name = "FederationError";
  constructor(
    readonly code: "noGuardians" | "tooFewAnswers" | "disagreement" | "malformed",
    message: string,
  ) {
    super(message);
  }
}

const HEX_KEY = /^(02|03)[0-9a-f]{64}$/;
const DECIMAL = /^\d{1,78}$/;

function checkFederation(body: unknown): PublishedFederation {
  const f = body as Partial<PublishedFederation>;
  const members = f.members;
  const ok =
    typeof f.network === "string" &&
    Number.isSafeInteger(f.threshold) &&
    Number.isSafeInteger(f.oracleThreshold) &&
    Number.isSafeInteger(f.startHeight) &&
    Number.isSafeInteger(f.csvBlocks) &&
    (f.startHeight ?? 0) >= 1 &&
    Array.isArray(members) &&
    members.length > 0 &&
    (f.threshold ?? 0) >= 1 &&
    (f.threshold ?? 0) <= members.length &&
    (f.oracleThreshold ?? 0) >= 1 &&
    (f.oracleThreshold ?? 0) <= members.length &&
    members.every(
      (m) =>
        typeof m?.name === "string" &&
        typeof m.url === "string" &&
        HEX_KEY.test(m.custodyKey ?? "") &&
        Array.isArray(m.oracleKey) &&
        m.oracleKey.length === 2 &&
        m.oracleKey.every((c) => typeof c === "string" && DECIMAL.test(c)),
    ) &&
    typeof f.params === "object" &&
    f.params !== null;
  if (!ok) throw new FederationError("malformed", "the guardian's federation answer is not well formed");
  return f as PublishedFederation;
}

/** A canonical text of what must be identical across guardians (member order included). */
const fingerprint = (f: PublishedFederation) =>
  JSON.stringify([
    f.network,
    f.threshold,
    f.csvBlocks,
    f.oracleThreshold,
    f.startHeight,
    f.members.map((m) => [m.custodyKey, m.oracleKey]),
    Object.entries(f.params).sort(([a], [b]) => (a < b ? -1 : 1)),
  ]);

/**
 * Learns the federation from the configured guardian URLs: asks all of them, and accepts the answer only
 * when at least `threshold` of them (the published custody threshold) publish the same one, so a single
 * guardian URL cannot swap the keys the app builds vault scripts with.
 */
export async function fetchFederation(
  urls: string[],
  opts: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<PublishedFederation> {
  const f = opts.fetch ?? fetch;
  const bases = urls.map((u) => u.trim().replace(/\/+$/, "")).filter(Boolean);
  if (bases.length === 0)
    throw new FederationError(
      "noGuardians",
      "No guardian URL is configured. Add the federation's guardian URLs in Settings → Guardians.",
    );
  const problems: string[] = [];
  const answers = await Promise.all(
    bases.map(async (base) => {
      try {
        const res = await f(`${base}/v1/federation`, {
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return checkFederation(await res.json());
      } catch (error) {
        problems.push(`${base}: ${(error as Error).message}`);
        return null;
      }
    }),
  );
  const groups = new Map<string, PublishedFederation[]>();
  for (const a of answers) if (a) groups.set(fingerprint(a), [...(groups.get(fingerprint(a)) ?? []), a]);
  if (groups.size > 1)
    throw new FederationError(
      "disagreement",
      `The guardians publish different federations (${groups.size} versions), so none is trusted. Check the guardian URLs in Settings.`,
    );
  const [only] = [...groups.values()];
  // k agreeing guardians, and a majority of the URLs the user configured (one URL cannot vouch alone
  // for a federation that claims k = 1 while others do not answer).
  const needed = Math.max(only?.[0]?.threshold ?? 1, Math.floor(bases.length / 2) + 1);
  if (!only || only.length < needed)
    throw new FederationError(
      "tooFewAnswers",
      `Too few guardians answered to trust the federation's keys (${only?.length ?? 0} of the ${needed} needed)${problems.length ? `: ${problems.join("; ")}` : ""}. Check that the guardians are running and their URLs in Settings.`,
    );
  return only[0]!;
}
