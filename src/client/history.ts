/**
 * A history a person can read (issue 15 item 8): this account's protocol events grouped per
 * transaction (one spell, one transaction), each said in words with its amounts in BTC and zkUSD,
 * its status (pending, confirmed, payout on its way, settled), its block time, and its net change to
 * the account for the CSV export. Pure: the Activity screen feeds it the event store's events, the
 * broadcast transactions still pending and the account's custody view.
 */
import type { AccountId, ProtocolEvent } from "../protocol/index.ts";
import { obligationId } from "../settlement/obligations.ts";
import type { StoredEvent } from "../storage/index.ts";
import { exactDecimal, formatAmount, formatBtc, formatUsd, formatZkusd } from "./format.ts";

export type HistoryStatus =
  | "pending"
  | "replaced"
  | "dropped"
  | "confirmed"
  /** Confirmed on the ledger; its BTC payout waits for the guardians' settlement. */
  | "awaiting settlement"
  | "settled";

export interface HistoryEntry {
  txid: string;
  /** Block height; null while pending. */
  height: number | null;
  /** Block time (seconds); for a pending one, when it was sent. */
  time: number;
  /** What it did, in a few words ("Opened a vault"). */
  title: string;
  /** Its effects, one sentence each, amounts in BTC and zkUSD. */
  lines: string[];
  status: HistoryStatus;
  /** The settlement transaction that paid its payout, when settled. */
  settledBy?: string;
  /** Net change to the account: BTC (18 decimals; collateral, payouts) and zkUSD. */
  btc: bigint;
  zkusd: bigint;
  /** Borrowing or redemption fee the account paid, zkUSD or BTC (18 decimals). */
  feeZkusd: bigint;
  feeBtc: bigint;
}

/** A broadcast transaction of this user's the engine has not applied yet. */
export interface PendingTx {
  txid: string;
  addedAt: number;
  opType: string | null;
  status: { state: string };
}

/** This account's payouts, as src/ui/engine/custody.ts gives them. */
export interface PayoutsView {
  owed: { id: string }[];
  settled: { id: string; settledBy: string | null }[];
}

const OP_TITLES: Record<string, string> = {
  openVault: "Open a vault",
  adjustVault: "Adjust the vault",
  closeVault: "Close the vault",
  setPrice: "Price update",
  depositToPool: "Deposit to the stability pool",
  withdrawFromPool: "Withdraw from the stability pool",
  claimGains: "Claim pool gains",
  claimSurplus: "Claim surplus collateral",
  liquidate: "Liquidate",
  liquidateBatch: "Liquidate vaults",
  redeem: "Redeem zkUSD",
  transfer: "Send zkUSD",
  propose: "Create a proposal",
  vote: "Vote",
  delegate: "Delegate votes",
};

/** The title of a pending transaction from its spell's operation type. */
export const pendingTitle = (opType: string | null): string => (opType && OP_TITLES[opType]) ?? "Transaction";

interface Described {
  title: string | null;
  line: string | null;
  btc: bigint;
  zkusd: bigint;
  feeZkusd: bigint;
  feeBtc: bigint;
}

const none: Described = { title: null, line: null, btc: 0n, zkusd: 0n, feeZkusd: 0n, feeBtc: 0n };

/** One event's meaning for `me` (null title: it only adds a line or an amount to the group). */
function describe(e: ProtocolEvent, me: AccountId): Described {
  const d = (x: Partial<Described>): Described => ({ ...none, ...x });
  switch (e.type) {
    case "VaultOpened":
      return e.owner !== me
        ? none
        : d({
            title: "Opened a vault",
            line: `Locked ${formatBtc(e.collateral)} as collateral; debt ${formatZkusd(e.debt)} (including the liquidation reserve and fee).`,
            btc: -e.collateral,
          });
    case "CollateralDeposited":
      return e.owner !== me
        ? none
        : d({
            title: "Added collateral",
            line: `Deposited ${formatBtc(e.amount)}; the vault now holds ${formatBtc(e.collateral)}.`,
            btc: -e.amount,
          });
    case "CollateralWithdrawn":
      return e.owner !== me
        ? none
        : d({
            title: "Withdrew collateral",
            line: `Withdrew ${formatBtc(e.amount)}; the vault now holds ${formatBtc(e.collateral)}.`,
            btc: e.amount,
          });
    case "DebtMinted":
      return e.owner !== me
        ? none
        : d({
            title: "Borrowed zkUSD",
            line: `Borrowed ${formatZkusd(e.amount)} (borrowing fee ${formatZkusd(e.fee)}); debt now ${formatZkusd(e.debt)}.`,
            zkusd: e.amount,
          });
    case "DebtRepaid":
      return e.owner !== me
        ? none
        : d({
            title: "Repaid zkUSD",
            line: `Repaid ${formatZkusd(e.amount)}; debt now ${formatZkusd(e.debt)}.`,
            zkusd: -e.amount,
          });
    case "VaultClosed":
      return e.owner !== me
        ? none
        : d({
            title: "Closed the vault",
            line: `Repaid ${formatZkusd(e.zkusdRepaid)}; ${formatBtc(e.collateralReturned)} of collateral returned to you.`,
            btc: e.collateralReturned,
            zkusd: -e.zkusdRepaid,
          });
    case "VaultLiquidated":
      return e.owner !== me
        ? none
        : d({
            title: "Your vault was liquidated",
            line: `Debt ${formatZkusd(e.debt)} and collateral ${formatBtc(e.collateral)} were taken (${e.mode} mode)${e.collateralSurplus > 0n ? `; ${formatBtc(e.collateralSurplus)} surplus is yours to claim` : ""}.`,
          });
    case "Liquidation":
      return e.liquidator !== me
        ? none
        : d({
            title: "Liquidated vaults",
            line: `Liquidated ${formatZkusd(e.liquidatedDebt)} of debt; your compensation ${formatBtc(e.collateralCompensation)} and ${formatZkusd(e.gasReserve)} reserve.`,
            btc: e.collateralCompensation,
            zkusd: e.gasReserve,
          });
    case "Redeemed":
      return e.redeemer !== me
        ? none
        : d({
            title: "Redeemed zkUSD",
            line: `Redeemed ${formatZkusd(e.zkusd)} for ${formatBtc(e.btc)} (redemption fee ${formatBtc(e.fee)}) from ${e.vaults.length} vault${e.vaults.length === 1 ? "" : "s"}.`,
            btc: e.btc - e.fee,
            zkusd: -e.zkusd,
          });
    case "VaultRedeemed":
      return e.owner !== me
        ? none
        : d({
            title: "Your vault was redeemed against",
            line: `${formatZkusd(e.zkusd)} of its debt was paid with ${formatBtc(e.collateral)} of its collateral${e.closed ? "; the vault closed" : ""}.`,
          });
    case "PoolDeposited":
      return e.owner !== me
        ? none
        : d({
            title: "Deposited to the stability pool",
            line: `Deposited ${formatZkusd(e.amount)}; your deposit is now ${formatZkusd(e.deposit)}.`,
            zkusd: -e.amount,
          });
    case "PoolWithdrawn":
      return e.owner !== me
        ? none
        : d({
            title: "Withdrew from the stability pool",
            line: `Withdrew ${formatZkusd(e.amount)}; your deposit is now ${formatZkusd(e.deposit)}.`,
            zkusd: e.amount,
          });
    case "GainsClaimed":
      return e.owner !== me || e.btcGain === 0n
        ? none
        : d({
            title: "Claimed pool gains",
            line: `${formatBtc(e.btcGain)} of liquidation gains ${e.toVault ? "moved into your vault" : "paid to you"}.`,
            btc: e.toVault ? 0n : e.btcGain,
          });
    case "SurplusClaimed":
      return e.owner !== me
        ? none
        : d({
            title: "Claimed surplus collateral",
            line: `${formatBtc(e.amount)} of surplus paid to you.`,
            btc: e.amount,
          });
    case "FeePaid":
      if (e.account !== me) return none;
      return e.asset === "zkUSD" ? d({ feeZkusd: e.amount }) : d({ feeBtc: e.amount });
    case "Transfer":
      if (e.from === me && e.to !== me)
        return d({
          title: "Sent zkUSD",
          line: `Sent ${formatZkusd(e.amount)} to ${e.to}.`,
          zkusd: -e.amount,
        });
      if (e.to === me && e.from !== me)
        return d({
          title: "Received zkUSD",
          line: `Received ${formatZkusd(e.amount)} from ${e.from}.`,
          zkusd: e.amount,
        });
      return none;
    case "PriceUpdated":
      return d({ title: "Price update", line: `The on-chain BTC price became ${formatUsd(e.price)}.` });
    case "ProposalCreated":
      return e.proposer !== me ? none : d({ title: `Created proposal ${e.proposalId}` });
    case "VoteCast":
      return e.voter !== me
        ? none
        : d({
            title: `Voted on proposal ${e.proposalId}`,
            line: `Voted ${e.support} with ${formatAmount(e.votes, { decimals: 2 })} votes.`,
          });
    case "DelegateChanged":
      return e.delegator !== me
        ? none
        : d({ title: "Delegated votes", line: `Votes delegated to ${e.toDelegate}.` });
    default:
      return none;
  }
}

/** One transaction's events (all in the same txid) as one entry; null when none concerns `me`. */
export function describeTransaction(events: StoredEvent[], me: AccountId): HistoryEntry | null {
  const first = events[0];
  if (!first) return null;
  let title: string | null = null;
  const lines: string[] = [];
  const sum = { btc: 0n, zkusd: 0n, feeZkusd: 0n, feeBtc: 0n };
  // Transfers inside a mint, repay or pool operation repeat its amounts: counted only alone.
  const described = events.map((e) => ({ e: e.event, d: describe(e.event, me) }));
  const primary = described.filter(
    (x) => x.d.title && x.e.type !== "Transfer" && x.e.type !== "PriceUpdated",
  );
  const use =
    primary.length > 0 ? [...primary, ...described.filter((x) => x.e.type === "FeePaid")] : described;
  for (const { d } of use) {
    title ??= d.title;
    if (d.line) lines.push(d.line);
    sum.btc += d.btc;
    sum.zkusd += d.zkusd;
    sum.feeZkusd += d.feeZkusd;
    sum.feeBtc += d.feeBtc;
  }
  if (!title && lines.length === 0) return null;
  // A fee the lines do not state already (an open's borrowing fee, a redemption's).
  if (sum.feeZkusd > 0n && !lines.some((l) => l.includes("borrowing fee")))
    lines.push(`Borrowing fee ${formatZkusd(sum.feeZkusd)}.`);
  if (primary.length > 1) title = primary.map((x) => x.d.title).join(", ");
  return {
    txid: first.txid,
    height: first.height,
    time: first.time,
    title: title ?? "Transaction",
    lines,
    status: "confirmed",
    ...sum,
  };
}

/**
 * The account's history, newest first: pending transactions (not applied yet), then the applied
 * ones grouped from `events` (any order), with the status their payouts give them.
 */
export function buildHistory(
  events: StoredEvent[],
  me: AccountId,
  pending: PendingTx[] = [],
  payouts?: PayoutsView,
): HistoryEntry[] {
  const byTx = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const list = byTx.get(e.txid) ?? [];
    list.push(e);
    byTx.set(e.txid, list);
  }
  const owed = new Set(payouts?.owed.map((o) => o.id));
  const settled = new Map(payouts?.settled.map((o) => [o.id, o.settledBy]));
  const entries: HistoryEntry[] = [];
  for (const [txid, list] of byTx) {
    list.sort((a, b) => a.n - b.n);
    const entry = describeTransaction(list, me);
    if (!entry) continue;
    // A transaction creates at most a handful of obligations, indexed from 0 in the spell.
    for (let i = 0; i < 8; i++) {
      const id = obligationId(txid, i);
      if (owed.has(id)) entry.status = "awaiting settlement";
      else if (settled.has(id)) {
        entry.status = "settled";
        const by = settled.get(id);
        if (by) entry.settledBy = by;
      }
    }
    entries.push(entry);
  }
  const applied = new Set(byTx.keys());
  const waiting: HistoryEntry[] = pending
    .filter((p) => !applied.has(p.txid))
    .map((p) => ({
      txid: p.txid,
      height: null,
      time: Math.floor(p.addedAt / 1000),
      title: pendingTitle(p.opType),
      lines: [],
      status:
        p.status.state === "replaced" ? "replaced" : p.status.state === "dropped" ? "dropped" : "pending",
      btc: 0n,
      zkusd: 0n,
      feeZkusd: 0n,
      feeBtc: 0n,
    }));
  entries.sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || b.time - a.time);
  return [...waiting.sort((a, b) => b.time - a.time), ...entries];
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** The history as CSV (RFC 4180): amounts as exact decimals, time as ISO 8601 UTC. */
export function historyCsv(entries: HistoryEntry[], explorerUrl: (txid: string) => string): string {
  const header = [
    "time_utc",
    "block",
    "status",
    "what",
    "details",
    "btc_change",
    "zkusd_change",
    "fee_zkusd",
    "fee_btc",
    "txid",
    "explorer",
  ];
  const rows = entries.map((e) =>
    [
      new Date(e.time * 1000).toISOString(),
      e.height === null ? "" : String(e.height),
      e.status,
      e.title,
      e.lines.join(" "),
      exactDecimal(e.btc),
      exactDecimal(e.zkusd),
      exactDecimal(e.feeZkusd),
      exactDecimal(e.feeBtc),
      e.txid,
      explorerUrl(e.txid),
    ]
      .map(csvCell)
      .join(","),
  );
  return `${[header.join(","), ...rows].join("\r\n")}\r\n`;
}
