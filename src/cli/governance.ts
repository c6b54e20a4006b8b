/**
 * `zkusd governance params|proposals|power`: the engine's parameters with their bounds
 * (src/protocol/params.ts) and governance settings, proposals with their state and votes, and an
 * account's voting power (src/governance views). Sources without the engine state (a guardian's
 * API) cannot answer proposals or power: exit 3.
 */
import { type Command, InvalidArgumentError } from "commander";
import {
  canPropose,
  delegateOf,
  listProposals,
  type ProposalView,
  proposalView,
  supplyAt,
  votingPowerAt,
} from "../governance/index.ts";
import {
  formatDecimal,
  formatParameter,
  GOV_CONFIG_NAMES,
  PARAM_BOUNDS,
  PARAM_NAMES,
  type Params,
  type State,
} from "../protocol/index.ts";
import { action, CliError, EXIT, emit } from "./output.ts";
import { open, type Snapshot, type SourceOptions, withSource } from "./source.ts";
import { percent } from "./views.ts";

const wholeArg = (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return BigInt(value);
};

function needState(snap: Snapshot): State {
  if (!snap.state)
    throw new CliError(
      `${snap.source} does not publish governance state; use --from-scenario, --store or --backup`,
      EXIT.unavailable,
    );
  return snap.state;
}

const iso = (t: bigint) => (t === 0n ? null : new Date(Number(t) * 1000).toISOString());

function proposalJson(p: ProposalView) {
  return {
    id: p.id.toString(),
    proposer: p.proposer,
    state: p.state,
    actions: p.actions.map((a) => ({ description: a.description, ...a.json })),
    snapshot: p.snapshot.toString(),
    votingEnds: iso(p.timeline.endTime),
    queueDeadline: iso(p.timeline.queueDeadline),
    eta: iso(p.timeline.eta),
    executeDeadline: iso(p.timeline.executeDeadline),
    quorum: formatDecimal(p.quorum),
    for: formatDecimal(p.forVotes),
    against: formatDecimal(p.againstVotes),
    abstain: formatDecimal(p.abstainVotes),
    quorumProgress: formatDecimal(p.quorumProgress),
    quorumReached: p.quorumReached,
    passing: p.passing,
    vetoes: p.vetoes,
    vetoThreshold: p.vetoThreshold.toString(),
    rotationApprovals: p.rotationApprovals,
  };
}

function show(name: keyof Params, v: bigint | boolean | undefined): string | null {
  if (v === undefined) return null;
  if (typeof v === "boolean") return String(v);
  return PARAM_BOUNDS[name].kind === "decimal" ? formatDecimal(v) : v.toString();
}

export function registerGovernance(gov: Command): void {
  registerGovernanceParams(gov);
  registerGovernanceProposals(gov);
  registerGovernancePower(gov);
}

function registerGovernanceParams(gov: Command): void {
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
      const gov = snap.state
        ? Object.fromEntries(GOV_CONFIG_NAMES.map((n) => [n, formatParameter(n, snap.state!.gov.config[n])]))
        : null;
      emit(
        {
          json: { source: snap.source, known: snap.paramsKnown, params: rows, governance: gov },
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
}

function registerGovernanceProposals(gov: Command): void {
  withSource(
    gov
      .command("proposals")
      .description("proposals, newest first, with state, votes, quorum progress and timelock")
      .option("--id <n>", "only this proposal", wholeArg)
      .option(
        "--state <state>",
        "only proposals in this state (active, succeeded, queued, executed, defeated, …)",
      ),
  ).action(
    action("governance proposals", async (o: SourceOptions & { id?: bigint; state?: string }) => {
      const { snap, format } = await open(o);
      const state = needState(snap);
      let list: ProposalView[];
      if (o.id !== undefined) {
        const p = proposalView(state, o.id);
        if (!p) throw new CliError(`no proposal ${o.id}`, EXIT.badInput);
        list = [p];
      } else {
        list = listProposals(state);
      }
      if (o.state) list = list.filter((p) => p.state === o.state);
      const g = state.gov;
      emit(
        {
          json: {
            source: snap.source,
            paused: g.paused,
            shutdown: g.shutdown,
            proposals: list.map(proposalJson),
          },
          table: {
            columns: ["id", "state", "proposer", "for", "against", "abstain", "quorum", "actions"],
            rows: list.map((p) => [
              p.id.toString(),
              p.state,
              p.proposer,
              formatDecimal(p.forVotes),
              formatDecimal(p.againstVotes),
              formatDecimal(p.abstainVotes),
              percent(p.quorumProgress),
              p.actions.map((a) => a.description).join("; "),
            ]),
          },
          minimal: list.map((p) => `${p.id} ${p.state}`).join("\n"),
        },
        format,
      );
      return EXIT.ok;
    }),
  );
}

function registerGovernancePower(gov: Command): void {
  withSource(
    gov
      .command("power")
      .description("an account's voting power (own balance unless delegated, plus delegations) at a height")
      .argument("<account>")
      .option("--height <h>", "block height (default: the latest)", wholeArg),
  ).action(
    action("governance power", async (account: string, o: SourceOptions & { height?: bigint }) => {
      const { snap, format } = await open(o);
      const state = needState(snap);
      const height = o.height ?? state.height;
      const power = votingPowerAt(state, account, height);
      const supply = supplyAt(state, height);
      const propose = canPropose(state, account);
      const json = {
        account,
        height: height.toString(),
        power: formatDecimal(power),
        supply: formatDecimal(supply),
        share: supply === 0n ? null : formatDecimal((power * 10n ** 18n) / supply),
        delegate: delegateOf(state, account),
        canPropose: propose.ok,
        proposalThreshold: formatDecimal(propose.threshold),
      };
      emit(
        {
          json,
          minimal: json.power,
          table: {
            columns: ["field", "value"],
            rows: Object.entries(json).map(([k, v]) => [k, String(v ?? "-")]),
          },
        },
        format,
      );
      return EXIT.ok;
    }),
  );
}
