/**
 * Recorded metric series from a scenario (docs/scenarios.md): runs the steps through the engine as
 * `runScenario` does and takes the engine metrics after every step, at the step's block time. Used by
 * the CLI (`--from-scenario`) and by the alert tests, so both read real engine state.
 */
import {
  advanceTime,
  apply,
  createGenesisState,
  govGenesisFromJson,
  type Params,
  ProtocolError,
  paramsFromJson,
  parseStep,
  type State,
} from "../protocol/index.ts";
import { type EngineMetricOptions, engineMetrics, type MetricSample } from "./metrics.ts";

export interface StepRecord {
  readonly index: number;
  readonly op: string;
  readonly ok: boolean;
  readonly error: string | null;
  /** Block time after the step, seconds. */
  readonly time: bigint;
}

export interface RecordedScenario {
  readonly state: State;
  readonly params: Params;
  readonly steps: readonly StepRecord[];
  /** Engine metrics after genesis and after each step; `at` = block time × 1000. */
  readonly samples: readonly MetricSample[];
  /** The times (ms) at which samples were taken, in order. */
  readonly times: readonly number[];
}

export class ScenarioInputError extends Error {
  override readonly name = "ScenarioInputError";
}

/** Replays a parsed scenario document; throws ScenarioInputError for a malformed one. */
export function recordScenario(doc: unknown, options: EngineMetricOptions = {}): RecordedScenario {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new ScenarioInputError('a scenario must be a JSON object with "params" and "steps"');
  const d = doc as { params?: unknown; steps?: unknown; governance?: unknown };
  if (!Array.isArray(d.steps)) throw new ScenarioInputError('"steps" must be an array');
  let params: Params;
  try {
    params = paramsFromJson(d.params);
  } catch (error) {
    throw new ScenarioInputError(`invalid params: ${(error as Error).message}`);
  }
  let governance: ReturnType<typeof govGenesisFromJson>;
  try {
    governance = govGenesisFromJson(d.governance);
  } catch (error) {
    throw new ScenarioInputError(`invalid governance: ${(error as Error).message}`);
  }
  const state = createGenesisState(params, { time: 0n, governance });
  const samples: MetricSample[] = [...engineMetrics(state, 0, options)];
  const times: number[] = [0];
  const steps: StepRecord[] = [];
  let time = 0n;
  // As runScenario: step i runs at height i + 1 plus the empty blocks advanceTime steps added.
  let skipped = 0n;
  d.steps.forEach((raw, i) => {
    let step: ReturnType<typeof parseStep>;
    try {
      step = parseStep(raw);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      steps.push({ index: i, op: "?", ok: false, error: error.code, time });
      return;
    }
    if (step.kind === "advanceTime") {
      time += step.seconds;
      skipped += step.blocks;
      advanceTime(state, time);
      steps.push({ index: i, op: "advanceTime", ok: true, error: null, time });
    } else {
      const outcome = apply(state, step.op, { height: BigInt(i + 1) + skipped, time });
      steps.push({
        index: i,
        op: step.op.type,
        ok: outcome.ok,
        error: outcome.ok ? null : outcome.error.code,
        time,
      });
    }
    // One sample per distinct time: a later step at the same time replaces the earlier reading.
    const at = Number(time) * 1000;
    if (times[times.length - 1] === at) {
      while (samples.length > 0 && (samples[samples.length - 1] as MetricSample).at === at) samples.pop();
    } else {
      times.push(at);
    }
    samples.push(...engineMetrics(state, at, options));
  });
  return { state, params, steps, samples, times };
}
