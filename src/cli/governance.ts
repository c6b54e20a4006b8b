/**
 * `zkusd governance params|proposals|power`. `params` prints the engine's parameters with their
 * bounds (src/protocol/params.ts). Proposals and voting power come from src/governance; until it is
 * part of the engine the two commands say so and exit 3 (unavailable).
 */
import type { Command } from "commander";
import { formatDecimal, PARAM_BOUNDS, PARAM_NAMES, type Params } from "../protocol/index.ts";
import { action, CliError, EXIT, emit } from "./output.ts";
import { open, type SourceOptions, withSource } from "./source.ts";

function show(name: keyof Params, v: bigint | boolean | undefined): string | null {
  if (v === undefined) return null;
  if (typeof v === "boolean") return String(v);
  return PARAM_BOUNDS[name].kind === "decimal" ? formatDecimal(v) : v.toString();
}

export function registerGovernance(program: Command): void {
  const gov = program.command("governance").description("protocol parameters, proposals and voting power");

  withSource(gov.command("params").description("every protocol parameter with its bounds")).action(
    action("governance params", async (o: SourceOptions) => {
      const { snap, format } = await open(o);
      const rows = PARAM_NAMES.map((name) => {
        const b = PARAM_BOUNDS[name];
        return {
          name,
          value: show(name, snap.params[name]) as string,
          kind: b.kind,
          min: show(name, b.min),
          max: show(name, b.max),
          maxExclusive: b.maxExclusive === true,
        };
      });
      emit(
        {
          json: { source: snap.source, known: snap.paramsKnown, params: rows },
          table: {
            columns: ["parameter", "value", "min", "max"],
            rows: rows.map((r) => [
              r.name,
              r.value,
              r.min ?? "",
              `${r.max ?? ""}${r.maxExclusive ? " (excl.)" : ""}`,
            ]),
          },
          minimal: rows.map((r) => `${r.name}=${r.value}`).join("\n"),
        },
        format,
      );
      return EXIT.ok;
    }),
  );

  const unavailable = (what: string) => async () => {
    throw new CliError(
      `${what} need governance in the engine (src/governance), which this build does not have yet`,
      EXIT.unavailable,
    );
  };
  withSource(gov.command("proposals").description("proposals with their state, votes and timelock")).action(
    action("governance proposals", unavailable("proposals")),
  );
  withSource(
    gov
      .command("power")
      .description("an account's voting power (own balance and delegations) at a height")
      .argument("<account>"),
  ).action(action("governance power", unavailable("voting power")));
}
