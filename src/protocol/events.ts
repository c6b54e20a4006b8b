/**
 * Events (docs/decisions.md §6). The engine emits the protocol-level payload; the caller's context adds where it
 * happened (block height, tx id, position in block) when it stores them (see engine.ts `EventEnvelope`).
 */
import type { Support } from "./governance/types.ts";
import type { AccountId } from "./operations.ts";

export type ProtocolEvent =
  | { type: "VaultOpened"; owner: AccountId; collateral: bigint; debt: bigint; stake: bigint }
  | { type: "CollateralDeposited"; owner: AccountId; amount: bigint; collateral: bigint }
  | { type: "CollateralWithdrawn"; owner: AccountId; amount: bigint; collateral: bigint; paidSats: bigint }
  | { type: "DebtMinted"; owner: AccountId; amount: bigint; fee: bigint; debt: bigint }
  | { type: "DebtRepaid"; owner: AccountId; amount: bigint; debt: bigint }
  | {
      type: "VaultClosed";
      owner: AccountId;
      collateralReturned: bigint;
      zkusdRepaid: bigint;
      paidSats: bigint;
    }
  | {
      type: "VaultLiquidated";
      owner: AccountId;
      liquidator: AccountId;
      debt: bigint;
      collateral: bigint;
      offsetDebt: bigint;
      redistributedDebt: bigint;
      collateralSurplus: bigint;
      mode: "normal" | "recovery";
    }
  | {
      type: "Liquidation";
      liquidator: AccountId;
      liquidatedDebt: bigint;
      liquidatedCollateral: bigint;
      collateralCompensation: bigint;
      gasReserve: bigint;
      paidSats: bigint;
    }
  | { type: "Redistributed"; debt: bigint; collateral: bigint; L_collateral: bigint; L_debt: bigint }
  | { type: "PoolOffset"; debt: bigint; collateral: bigint; P: bigint; epoch: bigint; scale: bigint }
  | {
      type: "Redeemed";
      redeemer: AccountId;
      attempted: bigint;
      zkusd: bigint;
      btc: bigint;
      fee: bigint;
      paidSats: bigint;
      vaults: AccountId[];
    }
  | { type: "VaultRedeemed"; owner: AccountId; zkusd: bigint; collateral: bigint; closed: boolean }
  | { type: "PoolDeposited"; owner: AccountId; amount: bigint; deposit: bigint }
  | { type: "PoolWithdrawn"; owner: AccountId; amount: bigint; deposit: bigint }
  | { type: "GainsClaimed"; owner: AccountId; btcGain: bigint; toVault: boolean; paidSats: bigint }
  | { type: "SurplusClaimed"; owner: AccountId; amount: bigint; paidSats: bigint }
  | {
      type: "FeePaid";
      account: AccountId;
      kind: "borrowing" | "redemption";
      amount: bigint;
      asset: "zkUSD" | "BTC";
    }
  | { type: "BaseRateUpdated"; baseRate: bigint }
  | { type: "LastFeeOpTimeUpdated"; time: bigint }
  | { type: "PriceUpdated"; price: bigint }
  | { type: "RecoveryModeEntered"; tcr: bigint }
  | { type: "RecoveryModeExited"; tcr: bigint }
  | { type: "Transfer"; from: AccountId; to: AccountId; amount: bigint }
  | { type: "Approval"; owner: AccountId; spender: AccountId; amount: bigint }
  // custody (docs/decisions.md §2a, src/settlement; recorded by the indexer, not by the engine)
  | {
      type: "ObligationRecorded";
      id: string;
      /** Who owes it: a vault, or null for the pool. */
      source: AccountId | null;
      /** Payout script (hex), or "" for an internal move to `to`. */
      script: string;
      to: AccountId | null | undefined;
      sats: bigint;
    }
  | {
      type: "SettlementApplied";
      obligations: string[];
      fee: bigint;
      feeFromAccount: bigint;
      /** Vaults rolled (consolidated) without an obligation (docs/custody.md "Rolling"). */
      rolls: AccountId[];
    }
  | {
      type: "CustodyBreach";
      /** The protocol coin spent by something that is not an applied settlement or an escape. */
      outpoint: string;
      sats: bigint;
      vault: AccountId | null;
      /** How the coin was spent, read from its witness (guardians, ownerAndGuardians, unknown). */
      path: string;
      /**
       * The coin's custody keys (compressed, hex, script order) whose signatures verify on this
       * spend (src/settlement/signers.ts): who signed off-plan. Empty when none verifies.
       */
      signers: string[];
    }
  | { type: "VaultEscaped"; owner: AccountId; outpoint: string; sats: bigint }
  | {
      /** A new custody key set took effect (docs/custody.md "Key epochs"); coins keep their epoch's. */
      type: "KeyEpochBegan";
      epoch: bigint;
      guardians: string[];
      threshold: bigint;
      /** Deposits to the previous epoch's scripts count below this height. */
      previousUntil: bigint;
    }
  | {
      /**
       * A protocol coin spent by a settlement that this client saw applied and that a reorg deeper
       * than D undid: on the new branch the same transaction no longer settles anything (its
       * obligations' spells are gone), so the BTC it paid is lost to custody. Recorded instead of a
       * breach (docs/decisions.md §2a "Finality", docs/custody.md "reorgLoss").
       */
      type: "ReorgLoss";
      outpoint: string;
      sats: bigint;
      vault: AccountId | null;
      /** The settlement transaction. */
      settlement: string;
      /** How deep the reorg that undid it was, blocks. */
      depth: bigint;
    }
  | {
      /**
       * An owner escaped a coin that carried debt or open obligations: the guardians failed to roll
       * it before its timelock (docs/custody.md "Rolling"). Names the signing set in force.
       */
      type: "MissedRoll";
      owner: AccountId;
      outpoint: string;
      sats: bigint;
      /** Height of the block that created the coin (its timelock ran from there). */
      coinHeight: bigint;
      /** The custody key set that should have rolled it (compressed keys, hex) and its threshold. */
      guardians: string[];
      threshold: bigint;
      /** The coin's custody key epoch (whose set `guardians` is, docs/custody.md "Key epochs"). */
      epoch: bigint;
    }
  | {
      /** The books after an owner's escape (docs/custody.md "Escape"). */
      type: "VaultEscapeBooked";
      owner: AccountId;
      escapedSats: bigint;
      /** Of those, the owner's own open payouts they paid. */
      ownPayoutsSats: bigint;
      /** Collateral that left the books with them (1e18 units, whole satoshis). */
      collateralTaken: bigint;
      redistributedDebt: bigint;
      redistributedCollateral: bigint;
      gasReserveBurned: bigint;
    }
  | {
      /** BTC at a protocol script no spell claimed (docs/custody.md "Stray outputs"). */
      type: "StrayReceived";
      outpoint: string;
      sats: bigint;
      owner: AccountId | null;
      /** Owed back to the transaction's first input (else kept as stray in the fee account). */
      refunded: boolean;
    }
  | {
      /** BTC put into the fee account by a `fund` spell (docs/custody.md "The fee account"). */
      type: "FeeAccountFunded";
      outpoint: string;
      sats: bigint;
    }
  | {
      /** Escaped sats that were owed to others: cancelled moves, booked on the fee account. */
      type: "EscapeShortfall";
      owner: AccountId;
      sats: bigint;
      cancelledMovesSats: bigint;
    }
  | { type: "ObligationOverdue"; id: string; blocks: bigint }
  | { type: "CustodyInvariantBroken"; problems: string[] }
  // governance (docs/governance.md)
  | {
      type: "ProposalCreated";
      proposalId: bigint;
      proposer: AccountId;
      snapshot: bigint;
      startTime: bigint;
      endTime: bigint;
      quorum: bigint;
      actions: string[];
    }
  | { type: "VoteCast"; proposalId: bigint; voter: AccountId; support: Support; votes: bigint }
  | { type: "ProposalQueued"; proposalId: bigint; eta: bigint }
  | { type: "ProposalExecuted"; proposalId: bigint }
  | { type: "ProposalCanceled"; proposalId: bigint }
  | { type: "VetoSigned"; proposalId: bigint; guardian: string; approvals: bigint; threshold: bigint }
  | { type: "ProposalVetoed"; proposalId: bigint }
  | { type: "RotationApproved"; proposalId: bigint; guardian: string; approvals: bigint; threshold: bigint }
  | { type: "ParameterChanged"; name: string; oldValue: string; newValue: string }
  | { type: "DelegateChanged"; delegator: AccountId; fromDelegate: AccountId; toDelegate: AccountId }
  | { type: "GuardiansRotated"; keys: string[]; threshold: bigint }
  | { type: "OracleKeysRotated"; keys: string[]; threshold: bigint }
  | { type: "Paused" }
  | { type: "Unpaused" }
  | { type: "Shutdown" };

export type ProtocolEventType = ProtocolEvent["type"];
