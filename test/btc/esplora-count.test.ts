/**
 * A block's transaction count comes from the Esplora server's header JSON: a count no block can have
 * is refused before paging (red team). Before, a header saying tx_count 0 made the indexer index the
 * block without its spells (a fork from a clean replay), and a huge count made it page forever.
 */
import { describe, expect, it } from "vitest";
import { EsploraClient, MAX_BLOCK_TXS } from "../../src/btc/esplora.ts";

const page = (n: number) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({ txid: i.toString(16).padStart(64, "0"), vin: [], vout: [] })),
  );

function client(name: string) {
  let requests = 0;
  const fetchFn = (async () => {
    requests++;
    return new Response(page(25), { status: 200 });
  }) as unknown as typeof fetch;
  const c = new EsploraClient({
    baseUrl: `http://127.0.0.1:9/count-${name}`,
    fetch: fetchFn,
    retries: 0,
    limits: { rps: Infinity, burst: Infinity, concurrency: 64 },
  });
  return { c, requests: () => requests };
}

describe("blockTxsAll: the count is checked before paging", () => {
  it.each([
    ["0 (every block has a coinbase)", 0],
    ["10,000,000 (more than 4 MB of transactions)", 10_000_000],
    ["MAX_BLOCK_TXS + 1", MAX_BLOCK_TXS + 1],
    ["not a whole number", 2.5],
  ])("a count of %s is refused without a request", async (_, count) => {
    const { c, requests } = client(String(count));
    await expect(c.blockTxsAll("11".repeat(32), count)).rejects.toMatchObject({ kind: "incomplete" });
    expect(requests()).toBe(0);
  });

  it("a count a block can have is paged as before", async () => {
    const { c, requests } = client("ok");
    expect(await c.blockTxsAll("22".repeat(32), 25)).toHaveLength(25);
    expect(requests()).toBe(1);
  });
});
