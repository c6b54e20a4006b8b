/**
 * New proposal: one to ten actions (parameter changes in human units, pause, unpause, shutdown),
 * the threshold at the snapshot next to the proposer's power, and the engine's verdict on the exact
 * proposal typed (its bounds, relations and threshold checks), before the review opens.
 */

import { useId, useRef, useState } from "react";
import {
  boundsText,
  formatDuration,
  formatParameterValue,
  governanceAdvice,
  inputText,
  type ParsedParameter,
  parameterInfo,
  parseParameterInput,
  unitLabel,
} from "../../client/governance/index.ts";
import { formatCount, formatZkusd } from "../../client/index.ts";
import type { GovernableParameter, GovernanceOverview } from "../../governance/index.ts";
import { type AccountId, type GovAction, MAX_ACTIONS, type Operation } from "../../protocol/index.ts";
import { EngineRefusal, Figure } from "../components/forms.tsx";
import { Current, SyncWait } from "../components/SyncWait.tsx";
import { usePreview } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";
import type { ReviewRequest } from "./ProposalCard.tsx";

type ActionType = "setParameter" | "pause" | "unpause" | "shutdown";
interface DraftAction {
  key: number;
  type: ActionType;
  name: string;
  /** What the user typed; null until then: the parameter's value now (none while behind the tip). */
  text: string | null;
}

const TYPE_LABEL: Record<ActionType, string> = {
  setParameter: "Change a parameter",
  pause: "Pause new debt",
  unpause: "Lift the pause",
  shutdown: "Shut down (permanent)",
};

/** A new action row: a change of the first parameter, prefilled with its value now. */
function newAction(key: number, parameters: readonly GovernableParameter[]): DraftAction {
  const first = parameters[0];
  return first
    ? { key, type: "setParameter", name: first.name, text: null }
    : { key, type: "pause", name: "", text: "" };
}

/**
 * The value field's text: what was typed, else the parameter's value now, recomputed on every render
 * so it follows the state; while the engine is behind the tip (`current` false) that value is an older
 * state's (MCR 110% at genesis after a proposal set 120%): the field stays empty until it has caught up.
 */
export function shownText(a: DraftAction, spec: GovernableParameter | undefined, current: boolean): string {
  if (a.text !== null) return a.text;
  return spec && current ? inputText(spec, spec.value) : "";
}

/** The action as the engine takes it, or why not yet. */
function parseAction(
  a: DraftAction,
  parameters: readonly GovernableParameter[],
  current: boolean,
): { parsed: ParsedParameter; action: GovAction | null } {
  if (a.type !== "setParameter") return { parsed: { kind: "empty" }, action: { type: a.type } };
  const spec = parameters.find((p) => p.name === a.name);
  if (!spec) return { parsed: { kind: "error", message: "Choose a parameter." }, action: null };
  const parsed = parseParameterInput(spec, shownText(a, spec, current));
  return {
    parsed,
    action: parsed.kind === "ok" ? { type: "setParameter", name: a.name, value: parsed.value } : null,
  };
}

export function ProposeForm({
  overview,
  account,
  onReview,
}: {
  overview: GovernanceOverview;
  account: AccountId | undefined;
  onReview: (r: ReviewRequest) => void;
}) {
  const parameters = overview.parameters;
  // Row keys only grow, so React never reuses a removed row's fields for a new one.
  const keys = useRef(1);
  const [actions, setActions] = useState<DraftAction[]>(() => [newAction(keys.current++, parameters)]);
  const gate = useSyncGate();
  const parsed = actions.map((a) => parseAction(a, parameters, gate.ready));
  const complete = parsed.every((p) => p.action !== null);
  const op: Operation | null =
    account && complete
      ? { type: "propose", proposer: account, actions: parsed.map((p) => p.action!) }
      : null;
  const preview = usePreview(op);
  const settled = Boolean(preview.data) && !preview.isPlaceholderData && !preview.isFetching;
  const power = overview.account?.powerAtNextSnapshot ?? 0n;
  const meets = power > 0n && power >= overview.proposalThreshold;
  const update = (key: number, change: Partial<DraftAction>) =>
    setActions((list) => list.map((a) => (a.key === key ? { ...a, ...change } : a)));

  return (
    <form
      className="card form gov-propose"
      data-testid="propose-form"
      aria-labelledby="propose-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (op && gate.ready && preview.data?.ok && settled)
          onReview({
            title: `New proposal (${actions.length} ${actions.length === 1 ? "action" : "actions"})`,
            op,
          });
      }}
    >
      <h2 id="propose-title">New proposal</h2>
      <SyncWait gate={gate} />
      <ThresholdFigures overview={overview} account={account} power={power} meets={meets} />
      {actions.map((a, i) => (
        <ActionFields
          key={a.key}
          index={i}
          action={a}
          parsed={parsed[i]!.parsed}
          parameters={parameters}
          onChange={(change) => update(a.key, change)}
          onRemove={
            actions.length > 1 ? () => setActions((list) => list.filter((x) => x.key !== a.key)) : null
          }
        />
      ))}
      <AddActionRow
        count={actions.length}
        onAdd={() => setActions((list) => [...list, newAction(keys.current++, parameters)])}
      />
      <ProposePreview
        op={op}
        settled={settled}
        preview={preview.data}
        votingPeriod={overview.config.votingPeriod}
      />
      <div className="actions">
        <button
          type="submit"
          className="button button-primary"
          disabled={!op || !gate.ready || !settled || !preview.data?.ok}
          data-testid="propose-button"
        >
          Review proposal
        </button>
      </div>
    </form>
  );
}

/** The proposal threshold at the next snapshot and the account's power then. */
function ThresholdFigures(props: {
  overview: GovernanceOverview;
  account: AccountId | undefined;
  power: bigint;
  meets: boolean;
}) {
  const { overview, account, power, meets } = props;
  return (
    <Current quiet>
      <dl className="inline-figures">
        <Figure
          id="proposal-threshold"
          label={`Threshold at block ${formatCount(overview.nextSnapshot)}`}
          raw={overview.proposalThreshold}
        >
          {formatZkusd(overview.proposalThreshold)}
        </Figure>
        <Figure
          id="power-at-next-snapshot"
          label="Your power then"
          raw={power}
          tone={account ? (meets ? "ok" : "danger") : undefined}
        >
          {formatZkusd(power)}
        </Figure>
      </dl>
      <p className="muted small" data-testid="threshold-verdict">
        {!account
          ? "Connect a wallet to propose."
          : meets
            ? "You meet the proposal threshold for a proposal in the next block."
            : "You are below the proposal threshold: a proposal needs voting power at the block before it, above zero and at least the threshold."}
      </p>
    </Current>
  );
}

/** The engine's verdict on the proposal as typed (once its preview has settled). */
function ProposePreview(props: {
  op: Operation | null;
  settled: boolean;
  preview: ReturnType<typeof usePreview>["data"];
  votingPeriod: GovernanceOverview["config"]["votingPeriod"];
}) {
  const { op, settled, preview, votingPeriod } = props;
  return (
    <Current quiet>
      <div aria-live="polite" data-testid="propose-preview" data-pending={op && !settled ? "yes" : "no"}>
        {op && settled && preview && !preview.ok ? (
          <EngineRefusal
            code={preview.code}
            message={preview.message}
            advice={[governanceAdvice(preview.code), preview.detail ? `Engine: ${preview.detail}.` : ""]
              .filter(Boolean)
              .join(" ")}
          />
        ) : null}
        {op && settled && preview?.ok ? (
          <p className="notice" data-testid="propose-accepted">
            The engine accepts this proposal: it would be proposal {String(preview.result.proposalId ?? "")},
            voting for {formatDuration(votingPeriod)}.
          </p>
        ) : null}
      </div>
    </Current>
  );
}

function AddActionRow({ count, onAdd }: { count: number; onAdd: () => void }) {
  return (
    <div className="actions">
      <button
        type="button"
        className="button button-ghost"
        disabled={count >= MAX_ACTIONS}
        onClick={onAdd}
        data-testid="add-action"
      >
        Add an action
      </button>
      <span className="muted small">
        {count} of {MAX_ACTIONS} actions
      </span>
    </div>
  );
}

function ActionTypeField({
  id,
  type,
  onChange,
}: {
  id: string;
  type: ActionType;
  onChange: (t: ActionType) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={`${id}-type`}>What</label>
      <select
        id={`${id}-type`}
        value={type}
        onChange={(e) => onChange(e.target.value as ActionType)}
        data-testid="action-type"
      >
        {(Object.keys(TYPE_LABEL) as ActionType[]).map((t) => (
          <option key={t} value={t}>
            {TYPE_LABEL[t]}
          </option>
        ))}
      </select>
    </div>
  );
}

function ActionFields({
  index,
  action,
  parsed,
  parameters,
  onChange,
  onRemove,
}: {
  index: number;
  action: DraftAction;
  parsed: ParsedParameter;
  parameters: readonly GovernableParameter[];
  onChange: (change: Partial<DraftAction>) => void;
  onRemove: (() => void) | null;
}) {
  const id = useId();
  // Behind the tip the values "now" are an older state's: not said.
  const current = useSyncGate().ready;
  const spec = parameters.find((p) => p.name === action.name);
  const info = spec ? parameterInfo(spec) : null;
  return (
    <fieldset className="gov-action" data-testid="proposal-action-fields" data-index={index}>
      <legend>Action {index + 1}</legend>
      <ActionTypeField id={id} type={action.type} onChange={(type) => onChange({ type })} />
      {action.type === "setParameter" ? (
        <>
          <div className="field">
            <label htmlFor={`${id}-name`}>Parameter</label>
            <select
              id={`${id}-name`}
              value={action.name}
              onChange={(e) => {
                const next = parameters.find((p) => p.name === e.target.value)!;
                onChange({ name: next.name, text: null });
              }}
              data-testid="parameter-select"
            >
              {parameters.map((p) => (
                <option key={p.name} value={p.name}>
                  {parameterInfo(p).label}
                  {current ? ` (now ${formatParameterValue(p, p.value)})` : ""}
                </option>
              ))}
            </select>
          </div>
          {spec && info ? (
            <ValueField
              id={id}
              action={action}
              spec={spec}
              info={info}
              parsed={parsed}
              current={current}
              onChange={onChange}
            />
          ) : null}
        </>
      ) : action.type === "shutdown" ? (
        <p className="notice notice-warn">
          Shutdown cannot be undone: no new debt, liquidations or pool deposits ever again; repaying, closing,
          withdrawing and redeeming stay open.
        </p>
      ) : null}
      {onRemove ? (
        <button type="button" className="button button-ghost button-small" onClick={onRemove}>
          Remove action {index + 1}
        </button>
      ) : null}
    </fieldset>
  );
}

/** The new value of a parameter: on/off or a number in the parameter's unit, with its bounds and help. */
function ValueField(props: {
  id: string;
  action: DraftAction;
  spec: GovernableParameter;
  info: ReturnType<typeof parameterInfo>;
  parsed: ParsedParameter;
  current: boolean;
  onChange: (change: Partial<DraftAction>) => void;
}) {
  const { id, action, spec, info, parsed, current, onChange } = props;
  const bounds = boundsText(spec);
  return (
    <div className="field">
      <label htmlFor={`${id}-value`}>New value</label>
      {info.unit === "switch" ? (
        <select
          id={`${id}-value`}
          value={shownText(action, spec, current)}
          onChange={(e) => onChange({ text: e.target.value })}
          aria-describedby={`${id}-hint`}
          data-testid="parameter-value"
        >
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      ) : (
        <div className="field-input">
          <input
            id={`${id}-value`}
            inputMode="decimal"
            autoComplete="off"
            spellCheck={false}
            value={shownText(action, spec, current)}
            onChange={(e) => onChange({ text: e.target.value })}
            aria-invalid={parsed.kind === "error"}
            aria-describedby={`${parsed.kind === "error" ? `${id}-error ` : ""}${id}-hint`}
            data-testid="parameter-value"
          />
          <span className="field-unit">{unitLabel(info.unit)}</span>
        </div>
      )}
      {parsed.kind === "error" ? (
        <p id={`${id}-error`} className="field-error" role="alert" data-testid="parameter-error">
          {parsed.message}
        </p>
      ) : null}
      <p id={`${id}-hint`} className="field-hint" data-testid="parameter-hint">
        {current
          ? `Now ${formatParameterValue(spec, spec.value)}${bounds ? `; allowed ${bounds}` : ""}. `
          : bounds
            ? `Allowed ${bounds}. `
            : ""}
        {info.help}
      </p>
    </div>
  );
}
