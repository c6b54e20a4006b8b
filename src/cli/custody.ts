/**
 * `zkusd custody`: what custody holds and owes (docs/decisions.md §2a, docs/custody.md): every protocol coin
 * (outpoint, sats, whose: a vault or the pool), the open obligations (who owes whom how much, since
 * which height), the invariant status and the custody breaches. Reads the engine state of a
 * scenario, store or backup, or a guardian's GET /v1/custody.
 */
import type { Command } from "commander";
import { type CustodyView, custodyViewFromJson } from "../guardian/custody-view.ts";
import { feeAccountParts } from "../settlement/feeAccount.ts";
import { loadConfigOrFail } from "./config.ts";
import { action, CliError, EXIT, emit } from "./output.ts";
import { formatOf, open, type SourceOptions, withSource } from "./source.ts";

/** Sats as BTC with 8 decimals (exact: integer arithmetic only). */
export const btcOfSats = (sats: bigint): string => {
  const neg = sats < 0n;
  const a = neg ? -sats : sats;
  return `${neg ? "-" : ""}${a / 100_000_000n}.${(a % 100_000_000n).toString().padStart(8, "0")}`;
};

type Figures = ReturnType<typeof custodyFigures>;
type Colours = {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
};

/** The coins by outpoint, the open obligations by height, and their totals. */
function custodyFigures(v: CustodyView) {
  const coins = [...v.custody.coins.values()].sort((a, b) =>
    a.outpoint < b.outpoint ? -1 : a.outpoint > b.outpoint ? 1 : 0,
  );
  const obligations = [...v.custody.obligations.values()];
  const open = obligations
    .filter((o) => o.status === "open")
    .sort((a, b) => (a.height === b.height ? (a.id < b.id ? -1 : 1) : a.height < b.height ? -1 : 1));
  const held = coins.reduce((a, c) => a + c.sats, 0n);
  const owed = open.reduce((a, o) => a + o.sats, 0n);
  return { coins, obligations, open, held, owed };
}

/** The JSON (and every other format) of a custody view. */
export function custodyReport(source: string, v: CustodyView) {
  const f = custodyFigures(v);
  const { coins, open } = f;
  const rows: string[][] = [
    ...coins.map((c) => ["coin", c.outpoint, c.vault ?? "pool", btcOfSats(c.sats), c.height.toString()]),
    ...open.map((o) => [
      "owed",
      o.id.slice(0, 16),
      o.source ?? "pool",
      btcOfSats(o.sats),
      o.height.toString(),
    ]),
    ...v.breaches.map((b) => ["BREACH", b.txid, b.message, "", String(b.height)]),
  ];
  return {
    json: custodyJson(source, v, f),
    table: { columns: ["kind", "outpoint / id", "whose", "BTC", "height"], rows },
    minimal: `${v.invariants.status} ${coins.length} ${open.length} ${v.breaches.length}`,
    text: (c: Colours) => custodyText(source, v, f, c),
  };
}

function custodyJson(source: string, v: CustodyView, { coins, obligations, open, held, owed }: Figures) {
  return {
    source,
    height: v.height,
    coins: coins.map((c) => ({
      outpoint: c.outpoint,
      sats: c.sats.toString(),
      owner: c.vault ?? "pool",
      script: c.script,
      height: c.height.toString(),
      // The custody key epoch whose keys spend it (docs/custody.md "Key epochs").
      epoch: c.epoch ?? 0,
    })),
    keyEpochs: v.custody.epochs.map((e, n) => ({
      epoch: n,
      keys: [...e.keys],
      threshold: e.threshold.toString(),
      from: e.from.toString(),
    })),
    totals: {
      coins: coins.length,
      heldSats: held.toString(),
      openObligations: open.length,
      owedSats: owed.toString(),
      settledObligations: obligations.length - open.length,
    },
    openObligations: open.map((o) => ({
      id: o.id,
      from: o.source ?? "pool",
      script: o.script,
      sats: o.sats.toString(),
      maxFee: o.maxFee.toString(),
      height: o.height.toString(),
    })),
    // What pays the fees that payees' maxima leave, and rolls (docs/custody.md "The fee account").
    feeAccount: v.feeAccount && {
      sats: (v.feeAccount.stray + v.feeAccount.fees).toString(),
      stray: v.feeAccount.stray.toString(),
      fees: v.feeAccount.fees.toString(),
    },
    invariants: v.invariants,
    breaches: v.breaches,
  };
}

function custodyText(
  source: string,
  v: CustodyView,
  { coins, open, held, owed }: Figures,
  c: Colours,
): string {
  const status =
    v.invariants.status === "ok"
      ? c.green("custody and ledger agree")
      : v.invariants.status === "breach"
        ? c.red("CUSTODY BREACH")
        : c.yellow("custody unchecked");
  return [
    c.dim(`${source}${v.height === null ? "" : ` at height ${v.height}`}`),
    `invariants       ${status}${v.invariants.detail ? ` (${v.invariants.detail})` : ""}`,
    `protocol coins   ${coins.length}, ${btcOfSats(held)} BTC`,
    ...coins.map(
      (x) =>
        `  ${x.outpoint}  ${btcOfSats(x.sats)} BTC  ${x.vault ?? "pool"}${x.epoch ? `  epoch ${x.epoch}` : ""}`,
    ),
    ...v.custody.epochs.map(
      (e, n) =>
        `key epoch ${n}      ${e.threshold}-of-${e.keys.length} from height ${e.from}: ${e.keys.join(" ")}`,
    ),
    ...(v.feeAccount
      ? [
          `fee account      ${btcOfSats(v.feeAccount.stray + v.feeAccount.fees)} BTC (funded ${btcOfSats(v.feeAccount.stray)}, from BTC fees ${btcOfSats(v.feeAccount.fees)})`,
        ]
      : []),
    `open obligations ${open.length}, ${btcOfSats(owed)} BTC owed`,
    ...open.map(
      (o) => `  ${o.id.slice(0, 16)}  ${btcOfSats(o.sats)} BTC from ${o.source ?? "pool"} since ${o.height}`,
    ),
    `breaches         ${v.breaches.length}`,
    ...v.breaches.map((b) => c.red(`  ${b.height} ${b.txid}: ${b.message}`)),
  ].join("\n");
}

export function registerCustody(custody: Command): void {
  withSource(custody).action(
    action("custody", async (o: SourceOptions) => {
      const config = await loadConfigOrFail(o.config);
      const guardianUrl = o.fromScenario || o.store || o.backup ? undefined : (o.guardian ?? config.guardian);
      if (guardianUrl) {
        const url = `${guardianUrl.replace(/\/$/, "")}/v1/custody`;
        let res: Response;
        try {
          res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        } catch (e) {
          throw new CliError(`guardian ${guardianUrl}: ${(e as Error).message}`, EXIT.unavailable);
        }
        if (!res.ok) throw new CliError(`guardian ${guardianUrl}: HTTP ${res.status}`, EXIT.unavailable);
        const view = custodyViewFromJson((await res.json()) as Parameters<typeof custodyViewFromJson>[0]);
        emit(custodyReport(`guardian ${guardianUrl}`, view), formatOf(o, config));
        // A breach is what an operator's script must notice: the "alerts firing" exit code.
        return view.invariants.status === "breach" || view.breaches.length > 0 ? EXIT.alertFiring : EXIT.ok;
      }
      const { snap, format } = await open(o);
      if (!snap.state)
        throw new CliError(`${snap.source} does not carry the custody state`, EXIT.unavailable);
      const view: CustodyView = {
        height: Number(snap.state.height),
        custody: snap.state.custody,
        feeAccount: feeAccountParts(snap.state),
        invariants: {
          status: "unchecked",
          detail: "a replayed state has no chain to check custody against; ask a guardian (--guardian URL)",
        },
        breaches: [],
      };
      emit(custodyReport(snap.source, view), format);
      return EXIT.ok;
    }),
  );
}
