/**
 * Writes circuits/examples/vault.json (valid: alice, who carries pending redistribution rewards,
 * deposits and borrows in one adjustment) and vault.invalid.json (a borrow past MCR: the claimed record
 * after is the one before, and the ratio rule fails) from the engine scenario in scenario.ts.
 * Usage: npx tsx scripts/circuits/examples.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { buildWitness, withDeclaredFee, type ZkOperation } from "../../src/zk/witness.ts";
import { contextFor, scenarioState, u } from "./scenario.ts";

const { state, now } = await scenarioState();
const ctx = contextFor(state, now);
const op: ZkOperation = {
  type: "adjustVault",
  owner: "alice",
  depositCollateral: u("0.5"),
  borrow: u("5000"),
  maxFee: u("0.05"),
};
const valid = buildWitness(withDeclaredFee(op, state, ctx), state, ctx).input;
const tooMuch: ZkOperation = {
  type: "adjustVault",
  owner: "alice",
  borrow: u("200000"),
  maxFee: u("0.05"),
  fee: u("1000"),
};
const invalid = buildWitness(tooMuch, state, ctx, { requireEngineAccepts: false }).input;

mkdirSync("circuits/examples", { recursive: true });
writeFileSync("circuits/examples/vault.json", `${JSON.stringify(valid, null, 1)}\n`);
writeFileSync("circuits/examples/vault.invalid.json", `${JSON.stringify(invalid, null, 1)}\n`);
console.log("wrote circuits/examples/vault.json and vault.invalid.json");
