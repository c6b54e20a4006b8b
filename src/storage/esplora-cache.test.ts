import "fake-indexeddb/auto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { EsploraClient } from "../btc/esplora.ts";
import { dropMemoryCaches } from "../btc/esplora-cache.ts";
import { openIdbEsploraCache } from "./esplora-cache.ts";

describe("IndexedDB cache of immutable Esplora answers", () => {
  it("keeps answers across clients and reloads, and prunes the oldest past the cap", async () => {
    let t = 0;
    const cache = await openIdbEsploraCache({ name: "cache-a", maxEntries: 10, now: () => ++t });
    await cache.put("k", "v");
    expect(await cache.get("k")).toBe("v");
    expect(await cache.get("nope")).toBeUndefined();
    for (let i = 0; i < 20; i++) await cache.put(`k${i}`, String(i));
    await cache.prune();
    expect(await cache.count()).toBe(8);
    expect(await cache.get("k")).toBeUndefined(); // the oldest went
    expect(await cache.get("k19")).toBe("19");
    cache.close();
    const again = await openIdbEsploraCache({ name: "cache-a", maxEntries: 10 });
    expect(await again.get("k19")).toBe("19");
    again.close();
  });

  it("a transaction's hex is fetched once, then read from IndexedDB by a fresh client (a reload)", async () => {
    // A real transaction (a coinbase with an OP_RETURN): txHex keeps only bytes that hash to the txid.
    const hex =
      "02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0a03e8030004666f726765ffffffff0100000000000000000c6a0a7a6b555344666f72676500000000";
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end(hex);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    const cache = await openIdbEsploraCache({ name: "cache-b" });
    const txid = "e927afed5ddb00c86d638ddbaca9d56fdee33196f4b190dd472f83934d96b56f";
    expect(await new EsploraClient({ baseUrl: `http://127.0.0.1:${port}/api`, cache }).txHex(txid)).toBe(hex);
    dropMemoryCaches(); // a reload
    expect(await new EsploraClient({ baseUrl: `http://127.0.0.1:${port}/api`, cache }).txHex(txid)).toBe(hex);
    expect(hits).toBe(1);
    cache.close();
    server.close();
  });
});
