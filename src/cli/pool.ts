/** `zkusd pool status|depositors`: the stability pool. */
import type { Command } from "commander";
import { formatDecimal } from "../protocol/index.ts";
import { action, CliError, EXIT, emit } from "./output.ts";
import { open, type SourceOptions, withSource } from "./source.ts";
import { dec, depositJson, percent, short } from "./views.ts";

export function registerPool(pool: Command): void {
  withSource(
    pool.command("status").description("pool size, BTC gains held, coverage of the debt at risk"),
  ).action(
    action("pool status", async (o: SourceOptions) => {
      const { snap, format } = await open(o);
      const s = snap.summary;
      const m = Object.fromEntries(snap.metrics.map((x) => [x.metric, x.value]));
      const share = s.totalDebt === 0n ? null : (s.poolTotal * 10n ** 18n) / s.totalDebt;
      const json = {
        source: snap.source,
        total: formatDecimal(s.poolTotal),
        collateral: formatDecimal(s.poolCollateral),
        shareOfDebt: share === null ? null : formatDecimal(share),
        debtAtRisk: formatDecimal(m.debtAtRisk ?? 0n),
        coverage: dec(m.poolCoverage ?? 0n),
        depositors: snap.deposits === null ? null : snap.deposits.length,
      };
      const rows = [
        ["deposits", `${short(s.poolTotal, 2)} zkUSD`],
        ["BTC gains held", `${short(s.poolCollateral, 8)} BTC`],
        ["share of debt", share === null ? "-" : percent(share)],
        ["debt at risk", `${short(m.debtAtRisk ?? 0n, 2)} zkUSD`],
        ["coverage", percent(m.poolCoverage ?? 0n)],
        ["depositors", json.depositors === null ? "unknown" : String(json.depositors)],
      ];
      emit({ json, table: { columns: ["field", "value"], rows }, minimal: json.total }, format);
      return EXIT.ok;
    }),
  );

  withSource(
    pool.command("depositors").description("each depositor's initial and compounded deposit and BTC gain"),
  ).action(
    action("pool depositors", async (o: SourceOptions) => {
      const { snap, format } = await open(o);
      if (snap.deposits === null)
        throw new CliError(`${snap.source} does not list depositors`, EXIT.unavailable);
      const list = [...snap.deposits].sort((a, b) =>
        a.compounded === b.compounded ? 0 : a.compounded > b.compounded ? -1 : 1,
      );
      emit(
        {
          json: { source: snap.source, depositors: list.map(depositJson) },
          table: {
            columns: ["owner", "initial zkUSD", "compounded zkUSD", "BTC gain"],
            rows: list.map((d) => [
              d.owner,
              short(d.initial, 2),
              short(d.compounded, 2),
              short(d.btcGain, 8),
            ]),
          },
        },
        format,
      );
      return EXIT.ok;
    }),
  );
}
