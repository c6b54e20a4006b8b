/**
 * The stability pool's yield and the account's gains history, read from this browser's event store
 * (the engine's own events, block by block): every liquidation the pool absorbed (PoolOffset: the
 * debt burned and the BTC handed to depositors) and the account's deposits, withdrawals and claimed
 * gains. The yield is the BTC received against the zkUSD given up, valued at the engine's price now
 * (the events carry no price); the figures say so.
 */

import { useQuery } from "@tanstack/react-query";
import {
  formatBtc,
  formatCount,
  formatPercent,
  formatUsd,
  formatZkusd,
  type StoredEvent,
} from "../../client/index.ts";
import { decMulFloor, type ProtocolEvent } from "../../protocol/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { queryKeys } from "../queries/keys.ts";
import { Figure } from "./forms.tsx";

const LIMIT = 200;

const when = (e: StoredEvent) => new Date(e.time * 1000).toLocaleString();

export function PoolHistory({ owner, price }: { owner: string | undefined; price: bigint }) {
  const engine = useEngine();
  // Under the engine's keys: a new block (or a confirmed transaction) refreshes it with every view.
  const offsets = useQuery({
    queryKey: [...queryKeys.engine.all, "poolHistory", "offsets"],
    queryFn: () => engine.events({ types: ["PoolOffset"], order: "desc", limit: LIMIT }),
    retry: 0,
  });
  const mine = useQuery({
    queryKey: [...queryKeys.engine.all, "poolHistory", "account", owner ?? ""],
    queryFn: () =>
      engine.events({
        types: ["PoolDeposited", "PoolWithdrawn", "GainsClaimed"],
        account: owner!,
        order: "desc",
        limit: LIMIT,
      }),
    enabled: Boolean(owner),
    retry: 0,
  });
  return (
    <aside className="card pool-history" aria-labelledby="pool-history-title" data-testid="pool-history">
      <h2 id="pool-history-title">Yield and gains history</h2>
      {offsets.isError ? (
        <p className="notice notice-warn" role="alert">
          The event store could not be read: {(offsets.error as Error).message}
        </p>
      ) : !offsets.data ? (
        <p className="loading">Reading the pool's history…</p>
      ) : offsets.data.events.length === 0 ? (
        <p className="muted" data-testid="pool-yield-empty">
          No liquidation has reached the pool yet: depositors earn when a vault below the minimum ratio is
          liquidated against the pool (its debt is burned from the deposits, its BTC is shared among them).
        </p>
      ) : (
        <PoolYield events={offsets.data.events} more={Boolean(offsets.data.next)} price={price} />
      )}
      <h3>Your deposits and gains</h3>
      {!owner ? (
        <p className="muted small">Connect a wallet to see your own history.</p>
      ) : mine.isError ? (
        <p className="notice notice-warn">
          The event store could not be read: {(mine.error as Error).message}
        </p>
      ) : !mine.data ? (
        <p className="loading">Reading your history…</p>
      ) : mine.data.events.length === 0 ? (
        <p className="muted small">No deposits yet.</p>
      ) : (
        <ul className="plain-list" data-testid="pool-account-history">
          {mine.data.events.map((e) => (
            <li key={e.key.join(":")} data-type={e.type}>
              <span className="muted small">
                {when(e)}, block {formatCount(e.height)}:
              </span>{" "}
              {describe(e.event)}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

type PoolOffset = Extract<ProtocolEvent, { type: "PoolOffset" }>;

/** The pool's totals over its liquidations (valued at today's price) and the liquidations themselves. */
function PoolYield({
  events,
  more,
  price,
}: {
  events: readonly StoredEvent[];
  more: boolean;
  price: bigint;
}) {
  let absorbed = 0n;
  let gained = 0n;
  for (const e of events) {
    const ev = e.event as PoolOffset;
    absorbed += ev.debt;
    gained += ev.collateral;
  }
  // Display only: the BTC's value at today's engine price, rounded down.
  const value = decMulFloor(gained, price);
  const net = value - absorbed;
  return (
    <>
      <dl className="figures">
        <Figure id="pool-absorbed" label="Debt absorbed by the pool" raw={absorbed}>
          {formatZkusd(absorbed)}
        </Figure>
        <Figure id="pool-btc-gained" label="BTC paid to depositors" raw={gained}>
          {formatBtc(gained)} ({formatUsd(value)} at {formatUsd(price)})
        </Figure>
        <Figure id="pool-yield" label="Gain on the debt absorbed" raw={net} tone={net >= 0n ? "ok" : "warn"}>
          {formatUsd(net)}
          {absorbed > 0n ? ` (${formatPercent((net * 10n ** 18n) / absorbed)})` : ""}
        </Figure>
      </dl>
      <table className="table compact" data-testid="pool-offsets">
        <caption className="muted small">
          {formatCount(events.length)} liquidation(s) absorbed
          {more ? ` (the latest ${LIMIT})` : ""}, newest first; values at today's price.
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Debt absorbed</th>
            <th scope="col">BTC received</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const ev = e.event as PoolOffset;
            return (
              <tr key={e.key.join(":")} data-height={e.height}>
                <td>
                  {when(e)} <span className="muted small">block {formatCount(e.height)}</span>
                </td>
                <td>{formatZkusd(ev.debt)}</td>
                <td>{formatBtc(ev.collateral)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function describe(e: ProtocolEvent): string {
  switch (e.type) {
    case "PoolDeposited":
      return `deposited ${formatZkusd(e.amount)} (deposit then ${formatZkusd(e.deposit)})`;
    case "PoolWithdrawn":
      return `withdrew ${formatZkusd(e.amount)} (deposit then ${formatZkusd(e.deposit)})`;
    case "GainsClaimed":
      return `received ${formatBtc(e.btcGain)} of gains${e.toVault ? " into your vault" : ""}`;
    default:
      return e.type;
  }
}
