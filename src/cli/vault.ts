/** `zkusd vault list|get|at-risk|ratio`: vaults from the data source, riskiest first. */
import { type Command, InvalidArgumentError } from "commander";
import { computeCR, DEFAULT_PARAMS, formatDecimal, ONE, parseDecimal } from "../protocol/index.ts";
import { action, CliError, EXIT, emit } from "./output.ts";
import { open, type SourceOptions, withSource } from "./source.ts";
import { dec, liquidationPrice, percent, VAULT_COLUMNS, vaultJson, vaultRow } from "./views.ts";

const decimalArg = (name: string) => (value: string) => {
  try {
    return parseDecimal(value, name);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const countArg = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError("expected a whole number ≥ 1");
  return Number(value);
};

export function registerVault(vault: Command): void {
  registerVaultList(vault);
  registerVaultGet(vault);
  registerVaultAtRisk(vault);
  registerVaultRatio(vault);
}

function registerVaultList(vault: Command): void {
  withSource(
    vault
      .command("list")
      .description("active vaults, riskiest (lowest ICR) first")
      .option("--limit <n>", "at most n vaults", countArg)
      .option("--sort <key>", "icr (default), debt or collateral (largest first)", "icr"),
  ).action(
    action("vault list", async (o: SourceOptions & { limit?: number; sort: string }) => {
      if (!["icr", "debt", "collateral"].includes(o.sort))
        throw new CliError(`--sort: expected icr, debt or collateral, got "${o.sort}"`, EXIT.usage);
      const { snap, format } = await open(o);
      let list = [...snap.vaults];
      if (o.sort !== "icr") {
        const key = o.sort as "debt" | "collateral";
        list.sort((a, b) => (a[key] === b[key] ? 0 : a[key] > b[key] ? -1 : 1));
      }
      if (o.limit) list = list.slice(0, o.limit);
      emit(
        {
          json: {
            source: snap.source,
            price: formatDecimal(snap.summary.price),
            total: snap.vaults.length,
            vaults: list.map((v) => vaultJson(v, snap.params)),
          },
          table: { columns: VAULT_COLUMNS, rows: list.map((v) => vaultRow(v, snap.params)) },
        },
        format,
      );
      return EXIT.ok;
    }),
  );
}

function registerVaultGet(vault: Command): void {
  withSource(
    vault.command("get").description("one vault by owner").argument("<owner>", "owner account id"),
  ).action(
    action("vault get", async (owner: string, o: SourceOptions) => {
      const { snap, format } = await open(o);
      const v = snap.vaults.find((x) => x.owner === owner);
      if (!v) throw new CliError(`no active vault for "${owner}"`, EXIT.badInput);
      const json = vaultJson(v, snap.params);
      const rows = Object.entries(json).map(([k, val]) => [k, String(val ?? "∞")]);
      emit(
        {
          json,
          table: { columns: ["field", "value"], rows },
          minimal: json.icr ?? "inf",
          text: (c) =>
            [
              `${c.bold(owner)} ${v.status}`,
              `collateral      ${json.collateral} BTC`,
              `debt            ${json.debt} zkUSD`,
              `ICR             ${v.icr < snap.params.MCR ? c.red(percent(v.icr)) : percent(v.icr)}`,
              `liquidation at  ${json.liquidationPrice ?? "-"} USD/BTC (ICR = MCR ${percent(snap.params.MCR)})`,
            ].join("\n"),
        },
        format,
      );
      return EXIT.ok;
    }),
  );
}

function registerVaultAtRisk(vault: Command): void {
  withSource(
    vault
      .command("at-risk")
      .description(
        "vaults below a collateral ratio (default MCR + 10 points, or monitor.atRiskRatio), with what can be liquidated now",
      )
      .option("--below <ratio>", "ICR threshold as a decimal (1.5 = 150%)", decimalArg("below")),
  ).action(
    action("vault at-risk", async (o: SourceOptions & { below?: bigint }) => {
      const { config, snap, format } = await open(o);
      const p = snap.params;
      const threshold = o.below ?? config.atRiskRatio ?? p.MCR + ONE / 10n;
      const s = snap.summary;
      const list = snap.vaults.filter((v) => v.icr < threshold);
      const liquidatable = (icr: bigint) => icr < p.MCR || (s.recoveryMode && icr < p.CCR && icr < s.tcr);
      emit(
        {
          json: {
            source: snap.source,
            threshold: formatDecimal(threshold),
            recoveryMode: s.recoveryMode,
            vaults: list.map((v) => ({ ...vaultJson(v, p), liquidatable: liquidatable(v.icr) })),
          },
          table: {
            columns: [...VAULT_COLUMNS, "liquidatable"],
            rows: list.map((v) => [...vaultRow(v, p), liquidatable(v.icr) ? "yes" : "no"]),
          },
        },
        format,
      );
      return EXIT.ok;
    }),
  );
}

function registerVaultRatio(vault: Command): void {
  withSource(
    vault
      .command("ratio")
      .description("a vault's ICR at the current or a given price, or the ratio of any collateral and debt")
      .argument("[owner]", "owner account id (or use --collateral and --debt)")
      .option("--price <usd>", "BTC/USD to evaluate at (default: the source's price)", decimalArg("price"))
      .option("--collateral <btc>", "collateral for a hypothetical vault", decimalArg("collateral"))
      .option("--debt <zkusd>", "debt for a hypothetical vault", decimalArg("debt")),
  ).action(
    action(
      "vault ratio",
      async (
        owner: string | undefined,
        o: SourceOptions & { price?: bigint; collateral?: bigint; debt?: bigint },
      ) => {
        const hypothetical = o.collateral !== undefined || o.debt !== undefined;
        if (hypothetical === (owner !== undefined))
          throw new CliError("give an owner, or --collateral and --debt (not both)", EXIT.usage);
        if (hypothetical && (o.collateral === undefined || o.debt === undefined))
          throw new CliError("--collateral and --debt go together", EXIT.usage);
        // A hypothetical vault at an explicit price needs no data source.
        const needsSource = !hypothetical || o.price === undefined;
        const ctx = needsSource ? await open(o) : null;
        const params = ctx?.snap.params ?? DEFAULT_PARAMS;
        let collateral = o.collateral ?? 0n;
        let debt = o.debt ?? 0n;
        if (owner !== undefined) {
          const v = ctx!.snap.vaults.find((x) => x.owner === owner);
          if (!v) throw new CliError(`no active vault for "${owner}"`, EXIT.badInput);
          collateral = v.collateral;
          debt = v.debt;
        }
        const price = o.price ?? ctx!.snap.summary.price;
        const icr = computeCR(collateral, debt, price);
        const json = {
          ...(owner ? { owner } : {}),
          price: formatDecimal(price),
          collateral: formatDecimal(collateral),
          debt: formatDecimal(debt),
          icr: dec(icr),
          mcr: formatDecimal(params.MCR),
          ccr: formatDecimal(params.CCR),
          belowMcr: icr < params.MCR,
          belowCcr: icr < params.CCR,
          liquidationPrice: dec(liquidationPrice(collateral, debt, params.MCR)),
        };
        emit(
          {
            json,
            minimal: json.icr ?? "inf",
            text: (c) => {
              const r =
                icr < params.MCR
                  ? c.red(percent(icr))
                  : icr < params.CCR
                    ? c.yellow(percent(icr))
                    : c.green(percent(icr));
              return `ICR ${r} at ${json.price} USD/BTC; liquidation below ${json.liquidationPrice ?? "-"} USD/BTC`;
            },
            table: {
              columns: ["field", "value"],
              rows: Object.entries(json).map(([k, v]) => [k, String(v ?? "∞")]),
            },
          },
          ctx?.format ?? o.format ?? "text",
        );
        return EXIT.ok;
      },
    ),
  );
}
