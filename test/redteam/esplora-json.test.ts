/**
 * Red team (issue 13, a lying Esplora): what a server answers on a JSON route is never a reason for an
 * untyped throw. `tx()` decided whether to cache its answer by JSON.parse-ing it before the typed
 * parse: "not json" (or `null`) escaped as a SyntaxError or TypeError, and an answer with no input or
 * output list reached `trackPending` (a TypeError there). Failed on main a5f1c0e.
 */
import { describe, expect, it } from "vitest";
import { EsploraClient, EsploraError } from "../../src/btc/esplora.ts";

const TXID = "ab".repeat(32);

const lying = (body: string) =>
  new EsploraClient({
    baseUrl: `http://lying-${Math.random().toString(36).slice(2)}.invalid/`,
    backoffMs: 1,
    fetch: (async () => new Response(body, { status: 200 })) as typeof fetch,
  });

describe("red team: a lying Esplora's JSON", () => {
  it.each(["not json", "null", "42", '{"status": null}'])(
    "/tx/:txid answering %s: a typed parse error, never a throw of another kind",
    async (body) => {
      const outcome = await lying(body)
        .tx(TXID)
        .then(
          () => "answered",
          (e: unknown) => e,
        );
      if (outcome !== "answered") expect(outcome).toBeInstanceOf(EsploraError);
    },
  );
});
