import { describe, expect, it } from "vitest";
import { PriceHistory, type PricePoint } from "./history.ts";

const point = (at: number, price = BigInt(at)): PricePoint => ({
  price,
  at,
  method: "median",
  sources: ["binance", "kraken", "okx"],
});

describe("price history", () => {
  it("keeps the newest points up to its capacity, oldest first", () => {
    const history = new PriceHistory({ capacity: 3 });
    for (const at of [1, 2, 3, 4, 5]) history.add(point(at));
    expect(history.points().map((p) => p.at)).toEqual([3, 4, 5]);
    expect(history.points(4).map((p) => p.at)).toEqual([4, 5]);
    expect(history.latest()?.at).toBe(5);
    expect(history.size).toBe(3);
  });

  it("hands every new point to the persistence hook and reports its failures without throwing", async () => {
    const persisted: number[] = [];
    const failures: string[] = [];
    const history = new PriceHistory({
      persist: async (p) => {
        if (p.at === 2) throw new Error("quota exceeded");
        persisted.push(p.at);
      },
      onPersistError: (error, p) => failures.push(`${p.at}: ${(error as Error).message}`),
    });
    history.add(point(1));
    history.add(point(2));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(persisted).toEqual([1]);
    expect(failures).toEqual(["2: quota exceeded"]);
    expect(history.size).toBe(2);
  });

  it("loads stored points in time order without persisting them again", () => {
    const persisted: number[] = [];
    const history = new PriceHistory({ capacity: 4, persist: (p) => void persisted.push(p.at) });
    history.add(point(10));
    history.load([point(3), point(7), point(1), point(5)]);
    expect(history.points().map((p) => p.at)).toEqual([3, 5, 7, 10]);
    expect(persisted).toEqual([10]);
  });

  it("refuses a point older than the newest", () => {
    const history = new PriceHistory();
    history.add(point(5));
    expect(() => history.add(point(4))).toThrow(/older than the newest/);
  });
});
