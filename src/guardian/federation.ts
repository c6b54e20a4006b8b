/**
 * Learning the federation from its guardians (GET /v1/federation), browser-safe and dependency-free so
 * the app's entry can ask before the engine starts without pulling the Bitcoin layer into first load.
 */

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
