/** `zkusd prove` / `zkusd verify` through the CLI's own entry point. */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { terminateProver } from "./node.ts";

afterAll(terminateProver);

describe("zkusd prove / verify", () => {
  it("proves the vault example, writes snarkjs files, and verifies them", async () => {
    const out = await mkdtemp(join(tmpdir(), "zkusd-prove-"));
    expect(await main(["prove", "vault", "circuits/examples/vault.json", "--out", out])).toBe(0);
    const proof = JSON.parse(await readFile(join(out, "proof.json"), "utf8"));
    expect(proof.protocol).toBe("groth16");
    expect(JSON.parse(await readFile(join(out, "verification_key.json"), "utf8")).nPublic).toBe(4);
    process.exitCode = undefined;
    expect(await main(["verify", out])).toBe(0);
    // a tampered public.json is refused (exit 3)
    const publicSignals = JSON.parse(await readFile(join(out, "public.json"), "utf8")) as string[];
    publicSignals[1] = (BigInt(publicSignals[1]!) + 1n).toString();
    await writeFile(join(out, "public.json"), JSON.stringify(publicSignals));
    expect(await main(["verify", out])).toBe(3);
    process.exitCode = undefined;
  });

  it("refuses an input that breaks the rule (exit 3) and an unknown circuit (exit 1)", async () => {
    const out = await mkdtemp(join(tmpdir(), "zkusd-prove-"));
    expect(await main(["prove", "vault", "circuits/examples/vault.invalid.json", "--out", out])).toBe(3);
    process.exitCode = undefined;
    expect(await main(["prove", "nope", "circuits/examples/vault.json", "--out", out])).toBe(1);
    process.exitCode = undefined;
  });
});
