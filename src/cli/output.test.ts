import { describe, expect, it } from "vitest";
import { colorsFor, render, renderTable } from "./output.ts";
import { percent, short } from "./views.ts";

describe("CLI output", () => {
  it("colour only on a TTY with NO_COLOR unset or empty", () => {
    expect(colorsFor({ isTTY: true }, {}).red("x")).toBe("\x1b[31mx\x1b[39m");
    expect(colorsFor({ isTTY: true }, { NO_COLOR: "" }).red("x")).toBe("\x1b[31mx\x1b[39m");
    expect(colorsFor({ isTTY: true }, { NO_COLOR: "1" }).red("x")).toBe("x");
    expect(colorsFor({ isTTY: false }, {}).red("x")).toBe("x");
  });

  it("renders one result in each format", () => {
    const result = {
      json: { a: 1n, b: "2.5" },
      table: {
        columns: ["name", "value"],
        rows: [
          ["tcr", "1.5"],
          ["recovery", "no"],
        ],
      },
    };
    expect(render(result, "json")).toBe('{\n  "a": "1",\n  "b": "2.5"\n}');
    expect(render(result, "table")).toBe("name      value\n--------  -----\ntcr       1.5\nrecovery  no");
    expect(render(result, "minimal")).toBe("tcr\nrecovery");
    expect(render(result, "text")).toBe(renderTable(result.table));
  });

  it("percentages and short amounts truncate, never round up", () => {
    expect(percent(1_579_999_999_999_999_999n)).toBe("157.99%");
    expect(percent(2n ** 256n - 1n)).toBe("∞");
    expect(short(33_384_999_999_999_999_999_999n, 2)).toBe("33384.99");
  });
});
