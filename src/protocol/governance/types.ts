/**
 * Governance's shapes and limits (docs/governance.md), a leaf: the actions a proposal carries, vote
 * choices, the governance settings with their defaults and bounds, the key-set and proposal limits,
 * and which engine parameters governance may set. Every other module (operations, the spell codec,
 * the rules, the state) imports these; this module imports only the engine's parameters.
 */
import { PARAM_BOUNDS, type Params } from "../params.ts";

/** A value as of a block height: valid from `h` until the next checkpoint. */
export interface Checkpoint {
  readonly h: bigint;
  v: bigint;
}

/** Vote choices, in Compound Governor Bravo's order (0 against, 1 for, 2 abstain). */
export const SUPPORT = ["against", "for", "abstain"] as const;
export type Support = (typeof SUPPORT)[number];

const DAY = 86_400n;
const E18 = 10n ** 18n;

/** Governance settings (docs/decisions.md §4, marked (G)); periods in seconds of block time, fractions 18-decimal. */
export interface GovConfig {
  /** Votes for + abstain needed, as a fraction of the zkUSD supply at the snapshot (0.04). */
  quorumFraction: bigint;
  /** Voting power the proposer needs at the snapshot, as a fraction of the supply then (0.01). */
  proposalThresholdFraction: bigint;
  /** Seconds from creation to the end of voting (7 days). */
  votingPeriod: bigint;
  /** Seconds between queueing and the earliest execution (2 days; bounds 2–30 days). */
  timelockDelay: bigint;
  /** Seconds a succeeded proposal may wait to be queued, and a queued one to be executed (14 days). */
  gracePeriod: bigint;
  /**
   * Blocks over which voting power is the minimum held (1008 ≈ 7 days): a vote counts the least power
   * the account had in any of the `votingPowerWindow` blocks ending at the snapshot, so zkUSD borrowed
   * or received shortly before a proposal does not vote (docs/governance.md "Voting power").
   */
  votingPowerWindow: bigint;
}

/**
 * Least time between queueing a proposal that rotates the custody key set and its execution: a new
 * custody key set takes effect no sooner than 30 days later (docs/decisions.md §2a "Key rotation").
 */
export const GUARDIAN_ROTATION_DELAY = 30n * DAY;

export const GOV_CONFIG_NAMES = [
  "quorumFraction",
  "proposalThresholdFraction",
  "votingPeriod",
  "timelockDelay",
  "gracePeriod",
  "votingPowerWindow",
] as const satisfies readonly (keyof GovConfig)[];
export type GovConfigName = (typeof GOV_CONFIG_NAMES)[number];

export const DEFAULT_GOV_CONFIG: Readonly<GovConfig> = Object.freeze({
  quorumFraction: (4n * E18) / 100n,
  proposalThresholdFraction: E18 / 100n,
  votingPeriod: 7n * DAY,
  timelockDelay: 2n * DAY,
  gracePeriod: 14n * DAY,
  votingPowerWindow: 1008n,
});

/** Inclusive bounds; fractions are 18-decimal, periods whole seconds, the power window whole blocks. */
export const GOV_CONFIG_BOUNDS: Readonly<
  Record<GovConfigName, { kind: "decimal" | "seconds" | "blocks"; min: bigint; max: bigint }>
> = {
  quorumFraction: { kind: "decimal", min: E18 / 100n, max: E18 / 2n },
  proposalThresholdFraction: { kind: "decimal", min: E18 / 10_000n, max: E18 / 10n },
  votingPeriod: { kind: "seconds", min: DAY, max: 30n * DAY },
  timelockDelay: { kind: "seconds", min: 2n * DAY, max: 30n * DAY },
  gracePeriod: { kind: "seconds", min: DAY, max: 30n * DAY },
  // At least a day of blocks (144 at the 10 minute target), at most 30 days (4320).
  votingPowerWindow: { kind: "blocks", min: 144n, max: 4320n },
};

/** Key slots of the price-attestation circuit (src/zk/attestation.ts ORACLE_SLOTS). */
export const ORACLE_KEY_SLOTS = 3;
/** Most guardian keys in a set (a k-of-n P2WSH CHECKMULTISIG stays standard up to 15 keys). */
export const MAX_GUARDIANS = 15;
/** Most operations in one proposal. */
export const MAX_ACTIONS = 10;

/** One operation a proposal carries. */
export type GovAction =
  /** Any engine parameter (params.ts) or governance setting except those in FROZEN_PARAMETERS. */
  | { type: "setParameter"; name: string; value: bigint | boolean }
  /** Guardian secp256k1 keys (33-byte compressed, lowercase hex) and the quorum k. */
  | { type: "rotateGuardians"; keys: string[]; threshold: number }
  /** Oracle BabyJubjub keys [x, y], exactly ORACLE_KEY_SLOTS of them, in circuit slot order. */
  | { type: "rotateOracleKeys"; keys: [bigint, bigint][]; threshold: number }
  | { type: "pause" }
  | { type: "unpause" }
  | { type: "shutdown" };

export type GovActionType = GovAction["type"];

/**
 * Engine parameters governance may not change, because existing records depend on them or they
 * only mean something at genesis: `gasReserve` is part of every open vault's debt and of the gas pool
 * (closing and liquidation pay back the current value); `scaleFactor` is the unit of the stability
 * pool's stored product P and of the scale of every deposit snapshot (changing it reinterprets every
 * deposit: issue 19); `initialPrice` and `redemptionBootstrapDays` are counted from genesis (raising
 * the bootstrap later would switch redemptions, the peg's floor, back off).
 */
export const FROZEN_PARAMETERS: readonly (keyof Params)[] = [
  "gasReserve",
  "scaleFactor",
  "initialPrice",
  "redemptionBootstrapDays",
];

/** Names a setParameter action may use, in a fixed order (the spell codec's parameter index). */
export const SETTABLE_PARAMETERS: readonly string[] = [
  ...(Object.keys(PARAM_BOUNDS) as (keyof Params)[]),
  ...GOV_CONFIG_NAMES,
];

export const isGovConfigName = (name: string): name is GovConfigName =>
  (GOV_CONFIG_NAMES as readonly string[]).includes(name);
export const isParamName = (name: string): name is keyof Params => name in PARAM_BOUNDS;
