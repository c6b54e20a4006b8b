/**
 * The exchanges' accepted BTC/USD readings kept across screens and reloads: one PriceHistory per
 * network for the page's lifetime (so a chart never resets on navigation), persisted to IndexedDB
 * (`zkusd-prices`, one store per network) through the history's persistence hook and loaded back on
 * the first use. Display only: a stored price is never used as a price (src/oracle/history.ts).
 */

import { useQuery } from "@tanstack/react-query";
import { type IDBPDatabase, openDB } from "idb";
import { PriceHistory, type PricePoint } from "../../client/index.ts";

export const PRICES_DB = "zkusd-prices";
/** Points kept: a week at one reading every 30 s. */
export const PRICE_HISTORY_CAPACITY = 20_160;
const NETWORKS = ["mainnet", "testnet", "signet", "regtest"] as const;

/** A point as stored: the price as a decimal string (IndexedDB keeps no bigint). */
interface StoredPoint {
  at: number;
  price: string;
  method: PricePoint["method"];
  sources: PricePoint["sources"];
}

let db: Promise<IDBPDatabase> | undefined;
function database(): Promise<IDBPDatabase> {
  db ??= openDB(PRICES_DB, 1, {
    upgrade(d) {
      for (const n of NETWORKS) d.createObjectStore(n, { keyPath: "at" });
    },
  });
  return db;
}

const storeOf = (network: string) =>
  (NETWORKS as readonly string[]).includes(network) ? network : "regtest";

async function persist(network: string, point: PricePoint): Promise<void> {
  if (typeof indexedDB === "undefined") return;
  const d = await database();
  const tx = d.transaction(storeOf(network), "readwrite");
  const stored: StoredPoint = {
    at: point.at,
    price: point.price.toString(),
    method: point.method,
    sources: [...point.sources],
  };
  await tx.store.put(stored);
  // Keep the newest PRICE_HISTORY_CAPACITY points: drop the oldest beyond it.
  const count = await tx.store.count();
  if (count > PRICE_HISTORY_CAPACITY) {
    let extra = count - PRICE_HISTORY_CAPACITY;
    let cursor = await tx.store.openCursor();
    while (cursor && extra > 0) {
      await cursor.delete();
      extra--;
      cursor = await cursor.continue();
    }
  }
  await tx.done;
}

async function load(network: string): Promise<PricePoint[]> {
  if (typeof indexedDB === "undefined") return [];
  const d = await database();
  const rows = (await d.getAll(storeOf(network))) as StoredPoint[];
  const out: PricePoint[] = [];
  for (const r of rows) {
    // A damaged row is skipped, never shown.
    if (typeof r.at !== "number" || !/^\d+$/.test(r.price)) continue;
    out.push({ at: r.at, price: BigInt(r.price), method: r.method, sources: r.sources ?? [] });
  }
  return out;
}

interface Kept {
  history: PriceHistory;
  loaded: Promise<number>;
}
const kept = new Map<string, Kept>();

/** The network's history for this page: the same object on every screen, loaded from IndexedDB once. */
export function keptPriceHistory(network: string): Kept {
  let k = kept.get(network);
  if (!k) {
    const history = new PriceHistory({
      capacity: PRICE_HISTORY_CAPACITY,
      persist: (point) => persist(network, point),
      onPersistError: (error) => console.warn(`price history: not saved (${(error as Error).message})`),
    });
    const loaded = load(network)
      .then((points) => {
        history.load(points);
        return history.size;
      })
      .catch((error: unknown) => {
        console.warn(`price history: could not be read (${(error as Error).message})`);
        return history.size;
      });
    k = { history, loaded };
    kept.set(network, k);
  }
  return k;
}

/** Resolves once the stored points are in the history (the chart re-renders then). */
export function usePriceHistoryLoaded(network: string) {
  return useQuery({
    queryKey: ["prices", "history-loaded", network],
    queryFn: () => keptPriceHistory(network).loaded,
    staleTime: Number.POSITIVE_INFINITY,
  });
}
