/**
 * Every rule the engine enforces has a code here with a sentence a user can read. An operation that
 * violates one throws ProtocolError before anything is committed (see journal.ts), so state is unchanged.
 */
export const ERROR_MESSAGES = {
  // input
  malformedAmount: "The amount is not a valid decimal number.",
  negativeAmount: "Amounts cannot be negative.",
  tooManyDecimals: "The amount has more decimals than the protocol supports (18).",
  amountTooLarge: "The amount is larger than the protocol accepts.",
  zeroAmount: "The amount must be greater than zero.",
  unknownOperation: "This operation is not part of the protocol.",
  malformedOperation: "The operation is missing a field or has a field of the wrong type.",
  invalidAccount: "The account name is not valid.",
  invalidParameter: "A protocol parameter is outside its allowed bounds.",
  timeWentBackwards: "Block time cannot go backwards.",
  // vaults
  vaultExists: "This owner already has an active vault.",
  vaultNotActive: "This owner has no active vault.",
  belowMinimumCollateralRatio: "The vault's collateral ratio would fall below the minimum (MCR).",
  belowCriticalCollateralRatio: "In recovery mode a vault must stay at or above the critical ratio (CCR).",
  totalCollateralRatioBelowCritical: "The change would push the system's total collateral ratio below CCR.",
  recoveryModeCollateralWithdrawal: "Collateral cannot be withdrawn while the system is in recovery mode.",
  recoveryModeCollateralRatioDecrease:
    "In recovery mode a debt increase must not lower the vault's collateral ratio.",
  recoveryModeClose: "Vaults cannot be closed while the system is in recovery mode.",
  belowMinimumNetDebt: "The vault's net debt would fall below the minimum.",
  repayExceedsDebt: "The repayment is larger than the vault's repayable debt.",
  withdrawExceedsCollateral: "The withdrawal is larger than the vault's collateral.",
  zeroAdjustment: "The adjustment changes nothing.",
  depositAndWithdrawCollateral: "Collateral cannot be deposited and withdrawn in the same adjustment.",
  borrowAndRepay: "Debt cannot be borrowed and repaid in the same adjustment.",
  feeExceedsMaximum: "The fee is higher than the maximum you accepted.",
  invalidMaxFee: "The maximum fee must be between the fee floor and 100%.",
  feeBelowCurrent: "The declared borrowing fee is below the current fee; quote the fee again.",
  feeWithoutBorrowing: "A borrowing fee can only be declared when borrowing.",
  onlyOneVault: "The last vault in the system cannot be closed, liquidated or fully redeemed.",
  insufficientBalance: "The account's zkUSD balance is too low.",
  insufficientAllowance: "The spender's allowance is too low.",
  noCollateralSurplus: "There is no collateral surplus to claim.",
  priceUnavailable: "No valid price is available, so this operation is refused.",
  // stability pool
  noPoolDeposit: "This owner has no stability pool deposit.",
  noPoolGains: "There are no stability pool gains to claim.",
  pendingLiquidations: "Withdrawals are paused while an undercollateralized vault awaits liquidation.",
  // liquidation
  nothingToLiquidate: "No vault in the request can be liquidated.",
  // redemption
  redemptionsInBootstrap: "Redemptions are not allowed during the bootstrap period.",
  totalCollateralRatioBelowMinimum: "Redemptions are not allowed while the TCR is below the MCR.",
  unableToRedeem: "No vault could be redeemed against for this amount.",
  redemptionFeeExceedsCollateral: "The redemption fee would absorb all the redeemed collateral.",
  // governance and system
  paused: "The protocol is paused: new vaults and new debt are refused until governance unpauses it.",
  shutdown: "The protocol has been shut down: only repaying, closing, withdrawing and redeeming remain.",
  invalidProposal: "A proposal must carry one to ten valid operations.",
  parameterNotGovernable: "This parameter cannot be changed by governance.",
  invalidGuardianSet:
    "A guardian set is 1 to 15 distinct compressed secp256k1 keys and a threshold between 1 and their number.",
  invalidOracleSet: "An oracle set is three distinct BabyJubjub keys and a threshold between 1 and 3.",
  proposalThresholdNotMet: "Your voting power at the snapshot is below the proposal threshold.",
  unknownProposal: "There is no proposal with this number.",
  votingClosed: "Voting on this proposal is closed.",
  alreadyVoted: "This account has already voted on this proposal.",
  noVotingPower: "This account had no voting power at the proposal's snapshot.",
  proposalNotSucceeded: "Only a proposal that passed its vote, within its grace period, can be queued.",
  proposalNotQueued: "Only a queued proposal can be executed.",
  timelockNotElapsed: "The proposal's timelock has not elapsed yet.",
  proposalExpired: "The proposal's grace period has passed; it can no longer be executed.",
  notProposer: "Only the proposer can cancel a proposal.",
  proposalClosed: "The proposal has already been executed, canceled or vetoed.",
  notGuardian: "Only a registered guardian key can veto a proposal.",
  alreadyVetoed: "This guardian has already signed a veto of this proposal.",
  alreadyApprovedRotation: "This guardian has already approved this key rotation.",
  notRotation: "Only a proposal that rotates the custody key set can be approved by the guardians.",
  rotationNotApproved:
    "A rotation of the custody key set needs approval by a quorum of the current guardians before it can be executed.",
  notDelegated: "This account has not delegated its voting power.",
  invariantViolated: "An internal invariant failed; the operation was refused.",
} as const;

export type ProtocolErrorCode = keyof typeof ERROR_MESSAGES;

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    detail?: string,
  ) {
    super(detail ?? ERROR_MESSAGES[code]);
  }
  /** The user-facing sentence for this code. */
  get userMessage(): string {
    return ERROR_MESSAGES[this.code];
  }
}

export function fail(code: ProtocolErrorCode, detail?: string): never {
  throw new ProtocolError(code, detail);
}
