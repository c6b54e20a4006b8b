/** The dev price feed read by the real oracle code: six exchanges' formats, one settable price. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PriceFeed, startPriceFeed } from "../../src/devnet/pricefeed.ts";
import { PriceOracle, SOURCE_IDS, type SourceId, type SourceSettings } from "../../src/oracle/index.ts";

let feed: PriceFeed;
let oracle: PriceOracle;

beforeAll(async () => {
  feed = await startPriceFeed({ price: "97000" });
  const sources = Object.fromEntries(
    SOURCE_IDS.map((id) => [id, { baseUrl: feed.baseUrls[id], transport: "rest" }]),
  ) as Partial<Record<SourceId, SourceSettings>>;
  oracle = new PriceOracle({ sources });
});
afterAll(async () => {
  oracle.close();
  await feed.close();
});

describe("dev price feed", () => {
  it("answers every exchange's real ticker path so the oracle accepts all six", async () => {
    const reading = await oracle.readPrice();
    expect(reading.status).toBe("ok");
    expect(
      reading.sources
        .filter((s) => s.accepted)
        .map((s) => s.source)
        .sort(),
    ).toEqual([...SOURCE_IDS].sort());
    expect(reading.price).toBeGreaterThan(96_900n * 10n ** 18n);
    expect(reading.price).toBeLessThan(97_100n * 10n ** 18n);
  });

  it("drops the price over POST /admin/price and refuses a malformed one", async () => {
    const res = await fetch(`${feed.url}/admin/price`, {
      method: "POST",
      body: JSON.stringify({ price: "58000.5" }),
    });
    expect(res.status).toBe(200);
    const reading = await oracle.readPrice();
    expect(reading.price! / 10n ** 18n).toBeGreaterThanOrEqual(57_990n);
    expect(reading.price! / 10n ** 18n).toBeLessThanOrEqual(58_010n);
    expect((await fetch(`${feed.url}/admin/price`, { method: "POST", body: '{"price": -1}' })).status).toBe(
      400,
    );
    // One exchange alone: an outlier the oracle rejects by the 5% rule.
    await fetch(`${feed.url}/admin/price`, {
      method: "POST",
      body: JSON.stringify({ price: "70000", source: "okx" }),
    });
    const outlier = await oracle.readPrice();
    expect(outlier.sources.find((s) => s.source === "okx")).toMatchObject({
      accepted: false,
      rejection: { code: "outlier" },
    });
  });

  it("answers wrong paths and symbols as the exchanges do", async () => {
    expect((await fetch(`${feed.url}/binance/api/v3/ticker/24hr?symbol=ETHUSDT`)).status).toBe(400);
    const kraken = (await (await fetch(`${feed.url}/kraken/0/public/Ticker?pair=ETHUSD`)).json()) as {
      error: string[];
    };
    expect(kraken.error).toEqual(["EQuery:Unknown asset pair"]);
    expect((await fetch(`${feed.url}/nowhere/x`)).status).toBe(404);
  });
});
