/**
 * `zkusd guardian veto|approve-rotation`: the transaction is read back the way the indexer reads it
 * (parsed from its bytes, the actor from input 0's witness, the spell from the OP_RETURN), and the
 * real binary runs against a loopback Esplora API (a test double of the coin listing, fee estimate
 * and broadcast endpoints only: the transaction it receives is the real one).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTx } from "../btc/block.ts";
import { addressToScript } from "../btc/network.ts";
import { walletAccount } from "../btc/psbt.ts";
import { descriptorAddress, fromHex, poolDescriptor, toHex } from "../btc/scripts.ts";
import { GuardianKeys } from "../guardian/keys.ts";
import { spellOfChainTx, spellPayloadOfChainTx } from "../indexer/indexer.ts";
import { createGenesisState, DEFAULT_PARAMS, initPoseidon } from "../protocol/index.ts";
import { readActor } from "../settlement/actor.ts";
import { checkFunding } from "../settlement/fundSpell.ts";
import { poolScriptHex } from "../settlement/settle.ts";
import { guardianSpellTx } from "./guardian-spell.ts";
import { CliError, EXIT } from "./output.ts";

const generated = GuardianKeys.generate();
const keys = generated.keys;
const from = walletAccount(keys.custodyPublicKey, "p2wpkh", "regtest").address;
const coin = { txid: "aa".repeat(32), vout: 1, value: 50_000n };
const federationKeys = [keys, ...[0, 1].map(() => GuardianKeys.generate().keys)].map((k) =>
  toHex(k.custodyPublicKey),
);

/** The transaction as the indexer reads it: its spell and its actor (input 0 spends `coin`). */
function asIndexerReads(hex: string, txid: string) {
  const tx = { ...parseTx(fromHex(hex), txid), position: 1 };
  const actor = readActor(tx, { script: addressToScript(from, "regtest"), sats: coin.value }, "regtest");
  return { tx, spell: spellOfChainTx(tx), actor };
}

describe("guardian operations from the custody key", () => {
  it("approveRotation: input 0 spends the custody key's coin, the actor is that key, the spell names the proposal, the change comes back", () => {
    const sent = guardianSpellTx(keys, "regtest", [coin], { type: "approveRotation", proposalId: 7n }, 2);
    const { tx, spell, actor } = asIndexerReads(sent.hex, sent.txid);
    expect(tx.inputs[0]).toMatchObject({ prevTxid: coin.txid, vout: coin.vout });
    expect(actor).toMatchObject({ ok: true, actor: { account: from, kind: "p2wpkh" } });
    if (actor.ok) expect(toHex(actor.actor.witnessKey!)).toBe(keys.custodyPublicKeyHex);
    expect(spell).toMatchObject({ ok: true, spell: { op: { type: "approveRotation", proposalId: 7n } } });
    const change = tx.outputs.filter((o) => toHex(o.script) === toHex(addressToScript(from, "regtest")));
    expect(change.map((o) => o.sats)).toEqual([coin.value - sent.fee]);
    expect(sent.fee).toBeGreaterThanOrEqual(BigInt(sent.vsize * 2));
    // A veto is the same shape with op 0x80.
    const veto = guardianSpellTx(keys, "regtest", [coin], { type: "veto", proposalId: 3n }, 1);
    expect(asIndexerReads(veto.hex, veto.txid).spell).toMatchObject({
      ok: true,
      spell: { op: { type: "veto", proposalId: 3n } },
    });
  });

  it("fund: output 0 pays exactly the sats to the pool's script, with a fund spell the indexer's check accepts; out-of-bounds sums and non-pool scripts refused", async () => {
    await initPoseidon();
    const state = createGenesisState(DEFAULT_PARAMS, {
      time: 1_700_000_000n,
      price: 60_000n * 10n ** 18n,
      governance: { guardians: { keys: federationKeys, threshold: 2n } },
    });
    const pool = fromHex(poolScriptHex(state)!);
    const sent = guardianSpellTx(keys, "regtest", [coin], { type: "fund", sats: 20_000n, pool }, 2);
    const { tx } = asIndexerReads(sent.hex, sent.txid);
    expect(tx.outputs[0]).toEqual({ script: pool, sats: 20_000n });
    expect(checkFunding(state, tx, spellPayloadOfChainTx(tx)!)).toMatchObject({
      ok: true,
      spell: { vout: 0, sats: 20_000n },
    });
    const refused = (sats: bigint, script = pool) => {
      try {
        guardianSpellTx(keys, "regtest", [coin], { type: "fund", sats, pool: script }, 2);
      } catch (e) {
        return (e as Error).message;
      }
      return "signed";
    };
    expect(refused(0n)).toMatch(/outside 1 to 100000000 sats/);
    expect(refused(100_000_001n)).toMatch(/outside 1 to 100000000 sats/);
    expect(refused(20_000n, addressToScript(from, "regtest"))).toMatch(/not a P2WSH/);
  });

  it("refuses in plain words: no coin at the custody address (exit 3, naming it), a fee rate outside 1..1000", () => {
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as CliError;
      }
      throw new Error("expected a refusal");
    };
    const none = refusal(() => guardianSpellTx(keys, "regtest", [], { type: "veto", proposalId: 1n }, 1));
    expect(none).toBeInstanceOf(CliError);
    expect(none.exitCode).toBe(EXIT.unavailable);
    expect(none.message).toContain(from);
    for (const rate of [0, 1_001, Number.NaN])
      expect(
        refusal(() => guardianSpellTx(keys, "regtest", [coin], { type: "veto", proposalId: 1n }, rate))
          .message,
      ).toMatch(/fee rate/);
    // A coin too small to pay the fee is refused, not signed.
    const dust = { ...coin, value: 100n };
    expect(
      refusal(() => guardianSpellTx(keys, "regtest", [dust], { type: "veto", proposalId: 1n }, 5)).exitCode,
    ).toBe(EXIT.unavailable);
  });
});

describe("zkusd guardian veto|approve-rotation (the binary)", () => {
  const dir = mkdtempSync(join(tmpdir(), "zkusd-guardian-spell-"));
  const keyFile = join(dir, "keys.json");
  writeFileSync(
    keyFile,
    `${JSON.stringify({ custodyKey: generated.custodyKey, oracleKey: generated.oracleKey })}\n`,
    { mode: 0o600 },
  );
  const broadcasts: string[] = [];
  let coins: { txid: string; vout: number; value: number; status: { confirmed: boolean } }[] = [];
  let server: Server;
  let url = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        if (req.method === "POST" && req.url === "/tx") {
          broadcasts.push(body);
          res.end("ok");
        } else if (req.url === `/address/${from}/utxo`) res.end(JSON.stringify(coins));
        else if (req.url === "/fee-estimates") res.end(JSON.stringify({ "1": 3.2, "2": 2.5 }));
        else {
          res.statusCode = 404;
          res.end("not found");
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const zkusd = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["bin/zkusd.mjs", "guardian", ...args, "--esplora", url, "--network", "regtest", "--keys", keyFile],
        { env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("sends the signed transaction, prints it in every format; --dry-run sends nothing; refusals have their exit codes", async () => {
    coins = [];
    const empty = await zkusd(["approve-rotation", "4", "--format", "json"]);
    expect(empty.code).toBe(EXIT.unavailable);
    expect(empty.stderr).toContain(from);
    expect((await zkusd(["veto", "x"])).code).toBe(EXIT.badInput);
    coins = [
      { txid: coin.txid, vout: coin.vout, value: 50_000, status: { confirmed: true } },
      { txid: "bb".repeat(32), vout: 0, value: 90_000, status: { confirmed: false } },
    ];
    const json = await zkusd(["approve-rotation", "4", "--format", "json"]);
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({
      operation: "approveRotation",
      proposalId: "4",
      guardian: keys.custodyPublicKeyHex,
      from,
      feeRate: 3, // the 2-block estimate, rounded up
      broadcast: true,
    });
    expect(broadcasts).toHaveLength(1);
    const read = asIndexerReads(broadcasts[0]!, out.txid);
    // Only the confirmed coin is spent, and the actor is the guardian's key.
    expect(read.tx.inputs.map((i) => i.prevTxid)).toEqual([coin.txid]);
    expect(read.actor.ok && toHex(read.actor.actor.witnessKey!)).toBe(keys.custodyPublicKeyHex);
    expect(read.spell).toMatchObject({
      ok: true,
      spell: { op: { type: "approveRotation", proposalId: 4n } },
    });

    const minimal = await zkusd(["veto", "9", "--format", "minimal", "--fee-rate", "1"]);
    expect(minimal.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    const table = await zkusd(["veto", "9", "--format", "table"]);
    expect(table.stdout).toMatch(/^field\s+value/);
    expect(table.stdout).toMatch(/operation\s+veto/);
    const text = await zkusd(["veto", "9"]);
    expect(text.stdout).toContain("veto of proposal 9 sent");
    expect(broadcasts).toHaveLength(4);
    const dry = await zkusd(["veto", "9", "--dry-run", "--format", "minimal"]);
    expect(dry.stdout.trim()).toMatch(/^[0-9a-f]+$/);
    expect(broadcasts).toHaveLength(4);
    // fund: to the pool named, or refused (exit 2) when no pool is named.
    const poolAddress = descriptorAddress(
      poolDescriptor({ threshold: 2, keys: federationKeys.map((k) => fromHex(k)) }),
      "regtest",
    );
    const fund = await zkusd(["fund", "7000", "--pool", poolAddress, "--format", "json"]);
    expect(fund.stderr).toBe("");
    expect(JSON.parse(fund.stdout)).toMatchObject({ operation: "fund", sats: "7000", pool: poolAddress });
    const funded = asIndexerReads(broadcasts[4]!, JSON.parse(fund.stdout).txid).tx;
    expect(funded.outputs[0]).toEqual({ script: addressToScript(poolAddress, "regtest"), sats: 7_000n });
    expect((await zkusd(["fund", "7000"])).code).toBe(EXIT.usage);
  }, 120_000);
});
