/**
 * The vault proof's statement (circuits/lib/vault.circom, docs/zk.md "Vault proofs"): the hashes of the
 * vault's stored record before and after, of the operation and of the global context it was checked
 * in. Pure and synchronous once the one Poseidon is initialised (`await initPoseidon()`, src/zk/hash.ts):
 * the indexer computes them from its own state to check a proof; the witness builder computes them to
 * make one.
 */
import {
  findAccount,
  isRecoveryMode,
  ONE,
  type Operation,
  ownerHashOf,
  type State,
  VAULT_STATUS,
} from "../protocol/index.ts";
import { poseidonHash, SNARK_FIELD } from "./hash.ts";

/** The operations the vault circuit proves: every change an owner makes to their own vault. */
export type VaultOperation = Extract<Operation, { type: "openVault" | "adjustVault" | "closeVault" }>;

/** The operation kind hashed first into the operation hash. */
export const VAULT_KIND: Readonly<Record<VaultOperation["type"], bigint>> = {
  openVault: 1n,
  adjustVault: 2n,
  closeVault: 3n,
};

export function isVaultOperation(op: Operation): op is VaultOperation {
  return op.type === "openVault" || op.type === "adjustVault" || op.type === "closeVault";
}

/** A vault's stored record (pending rewards not applied), as the state root's account leaf holds it. */
export interface VaultRecord {
  ownerHash: bigint;
  /** VAULT_STATUS index: 0 none, 1 active, 2 closed by owner, 3 by liquidation, 4 by redemption. */
  status: bigint;
  coll: bigint;
  debt: bigint;
  stake: bigint;
  snapColl: bigint;
  snapDebt: bigint;
}

/** The owner's stored vault record; an owner without an account has status 0 and zeros. */
export function vaultRecord(state: State, owner: string): VaultRecord {
  const a = findAccount(state, owner);
  if (!a) {
    return {
      ownerHash: ownerHashOf(owner),
      status: 0n,
      coll: 0n,
      debt: 0n,
      stake: 0n,
      snapColl: 0n,
      snapDebt: 0n,
    };
  }
  return {
    ownerHash: a.ownerHash,
    status: BigInt(VAULT_STATUS.indexOf(a.status)),
    coll: a.coll,
    debt: a.debt,
    stake: a.stake,
    snapColl: a.snapshotLColl,
    snapDebt: a.snapshotLDebt,
  };
}

export const recordValues = (r: VaultRecord): bigint[] => [
  r.ownerHash,
  r.status,
  r.coll,
  r.debt,
  r.stake,
  r.snapColl,
  r.snapDebt,
];

/** H(ownerHash, status, coll, debt, stake, snapshotLColl, snapshotLDebt). */
export const recordHash = (r: VaultRecord): bigint => poseidonHash(recordValues(r));

/** What the circuit reads from the global state, as of before the operation. */
export interface VaultContext {
  price: bigint;
  MCR: bigint;
  CCR: bigint;
  gasReserve: bigint;
  minNetDebt: bigint;
  feeFloor: bigint;
  Lcoll: bigint;
  Ldebt: bigint;
  stakesSnapshot: bigint;
  collSnapshot: bigint;
  /** 1 when TCR < CCR before the operation (the mode the engine applies its rules in). */
  recovery: bigint;
  /** paused + 2 × shutdown. */
  flags: bigint;
}

export function vaultContext(state: State): VaultContext {
  const p = state.params;
  return {
    price: state.g.price,
    MCR: p.MCR,
    CCR: p.CCR,
    gasReserve: p.gasReserve,
    minNetDebt: p.minNetDebt,
    feeFloor: p.borrowingFeeFloor,
    Lcoll: state.g.L_coll,
    Ldebt: state.g.L_debt,
    stakesSnapshot: state.g.totalStakesSnapshot,
    collSnapshot: state.g.totalCollateralSnapshot,
    recovery: isRecoveryMode(state) ? 1n : 0n,
    flags: (state.gov.paused ? 1n : 0n) + (state.gov.shutdown ? 2n : 0n),
  };
}

/**
 * H(price, ratios, debts, Lcoll, Ldebt, stakesSnapshot, collSnapshot) with the small values packed:
 * ratios = MCR + CCR·2^64 + feeFloor·2^128 + recovery·2^188 + flags·2^189, debts = gasReserve +
 * minNetDebt·2^112 (one-to-one within the circuit's ranges, which it checks). Values outside those
 * ranges are packed all the same (the field reduces them): the circuit refuses them anyway.
 */
export function contextHash(c: VaultContext): bigint {
  const ratios = c.MCR + (c.CCR << 64n) + (c.feeFloor << 128n) + (c.recovery << 188n) + (c.flags << 189n);
  const debts = c.gasReserve + (c.minNetDebt << 112n);
  return poseidonHash([
    c.price,
    ratios % SNARK_FIELD,
    debts % SNARK_FIELD,
    c.Lcoll,
    c.Ldebt,
    c.stakesSnapshot,
    c.collSnapshot,
  ]);
}

/** The operation as the circuit takes it: an open's collateral is its deposit; a close carries zeros. */
export interface VaultOpFields {
  kind: bigint;
  deposit: bigint;
  withdraw: bigint;
  borrow: bigint;
  repay: bigint;
  /** The declared borrowing fee (0 when the spell declares none). */
  fee: bigint;
  maxFee: bigint;
}

export function vaultOpFields(op: VaultOperation): VaultOpFields {
  switch (op.type) {
    case "openVault":
      return {
        kind: VAULT_KIND.openVault,
        deposit: op.collateral,
        withdraw: 0n,
        borrow: op.borrow,
        repay: 0n,
        fee: op.fee ?? 0n,
        maxFee: op.maxFee ?? ONE,
      };
    case "adjustVault":
      return {
        kind: VAULT_KIND.adjustVault,
        deposit: op.depositCollateral ?? 0n,
        withdraw: op.withdrawCollateral ?? 0n,
        borrow: op.borrow ?? 0n,
        repay: op.repay ?? 0n,
        fee: op.fee ?? 0n,
        maxFee: op.maxFee ?? ONE,
      };
    case "closeVault":
      return {
        kind: VAULT_KIND.closeVault,
        deposit: 0n,
        withdraw: 0n,
        borrow: 0n,
        repay: 0n,
        fee: 0n,
        maxFee: 0n,
      };
  }
}

/** H(kind, deposit, withdraw, borrow, repay, fee, maxFee). */
export function vaultOpHash(f: VaultOpFields): bigint {
  return poseidonHash([f.kind, f.deposit, f.withdraw, f.borrow, f.repay, f.fee, f.maxFee]);
}

/** The public signals of a vault proof, in circuit order: recordBefore, recordAfter, operationHash, contextHash. */
export function vaultPublicSignals(
  before: VaultRecord,
  after: VaultRecord,
  op: VaultOperation,
  context: VaultContext,
): bigint[] {
  return [recordHash(before), recordHash(after), vaultOpHash(vaultOpFields(op)), contextHash(context)];
}
