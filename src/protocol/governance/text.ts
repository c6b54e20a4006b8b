/**
 * The canonical text of governance values and actions: what the engine writes into its events
 * (`ProposalCreated.actions`, `ParameterChanged` old and new values) and the JSON forms carry, so it
 * is part of the event log and never changes with a screen's wording (screens describe actions in
 * their own words: src/client/governance/describe.ts).
 */
import { formatDecimal } from "../decimal.ts";
import { PARAM_BOUNDS } from "../params.ts";
import { GOV_CONFIG_BOUNDS, type GovAction, isGovConfigName, isParamName } from "./types.ts";

/** A parameter value as text: decimals as decimals, counts and seconds as integers. */
export function formatParameter(name: string, value: bigint | boolean): string {
  if (typeof value === "boolean") return String(value);
  const kind = isGovConfigName(name)
    ? GOV_CONFIG_BOUNDS[name].kind
    : isParamName(name)
      ? PARAM_BOUNDS[name].kind
      : "integer";
  return kind === "decimal" ? formatDecimal(value) : value.toString();
}

/** One line per action, as `ProposalCreated` events carry it. */
export function describeAction(action: GovAction): string {
  switch (action.type) {
    case "setParameter":
      return `setParameter ${action.name} = ${formatParameter(action.name, action.value)}`;
    case "rotateGuardians":
      return `rotateGuardians ${action.threshold}-of-${action.keys.length}`;
    case "rotateOracleKeys":
      return `rotateOracleKeys ${action.threshold}-of-${action.keys.length}`;
    default:
      return action.type;
  }
}
