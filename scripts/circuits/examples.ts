/**
 * Writes circuits/examples/CIRCUIT.json (valid) and CIRCUIT.invalid.json (breaks the circuit's rule)
 * from the engine scenario in scenario.ts. Usage: npx tsx scripts/circuits/examples.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { apply, cloneState } from "../../src/protocol/index.ts";
import { buildAttestationInput } from "../../src/zk/attestation.ts";
import { OPERATION_CODE } from "../../src/zk/circuits.ts";
import { operationHash } from "../../src/zk/hash.ts";
import { buildWitness, type CircuitInput, type ZkOperation } from "../../src/zk/witness.ts";
import { attestationFor, contextFor, devOracleSet, devSignatures, scenarioState, u } from "./scenario.ts";

const { state, now } = await scenarioState();
const ctx = contextFor(state, now);

/** A valid input with its amount replaced (operation hash recomputed), so only the rule can fail. */
function withAmount(input: CircuitInput, code: bigint, amount: bigint): CircuitInput {
  const opHash = operationHash(
    code,
    BigInt(input.ownerHash as string),
    amount,
    BigInt(input.maxFee as string),
    now,
  );
  return { ...input, amount: amount.toString(), operationHash: opHash.toString() };
}

const valid: Record<string, ZkOperation> = {
  deposit: { type: "deposit", owner: "alice", amount: u("0.5") },
  withdraw: { type: "withdraw", owner: "carol", amount: u("1.25") },
  mint: { type: "mint", owner: "alice", amount: u("5000"), maxFee: u("0.05") },
  repay: { type: "repay", owner: "alice", amount: u("10000") },
};
const out: Record<string, CircuitInput> = {};
for (const [name, op] of Object.entries(valid)) out[name] = buildWitness(op, state, ctx).input;

const invalid: Record<string, CircuitInput> = {
  // 2^112 units overflows the amount range check
  deposit: withAmount(out.deposit!, OPERATION_CODE.deposit, 1n << 112n),
  // withdrawing 9 of carol's ~10.5 BTC leaves ICR below MCR
  withdraw: withAmount(out.withdraw!, OPERATION_CODE.withdraw, u("9")),
  // 200,000 zkUSD more on alice's ~2 BTC puts ICR below MCR
  mint: withAmount(out.mint!, OPERATION_CODE.mint, u("200000")),
  // repaying 60,000 leaves net debt below the minimum (and exceeds the balance)
  repay: withAmount(out.repay!, OPERATION_CODE.repay, u("60000")),
};

// liquidate: lower the price in a copy so alice is liquidatable; the invalid one targets carol (healthy)
{
  const low = cloneState(state);
  const r = apply(low, { type: "setPrice", price: u("27000") }, { height: 1n, time: now });
  if (!r.ok) throw new Error(r.error.code);
  const lctx = contextFor(low, now + 60n);
  out.liquidate = buildWitness({ type: "liquidate", owner: "alice", liquidator: "dave" }, low, lctx).input;
  const healthy = buildWitness({ type: "liquidate", owner: "carol", liquidator: "dave" }, low, lctx, {
    requireEngineAccepts: false,
  });
  invalid.liquidate = healthy.input;
}

// priceAttestation: 2-of-3 signed; the invalid one has a single signature
{
  const a = attestationFor(state, now);
  out.priceAttestation = buildAttestationInput(a, devOracleSet(2), devSignatures(a, [0, 2])).input;
  invalid.priceAttestation = buildAttestationInput(a, devOracleSet(2), devSignatures(a, [1])).input;
}

mkdirSync("circuits/examples", { recursive: true });
for (const [name, input] of Object.entries(out)) {
  writeFileSync(`circuits/examples/${name}.json`, `${JSON.stringify(input, null, 1)}\n`);
  writeFileSync(`circuits/examples/${name}.invalid.json`, `${JSON.stringify(invalid[name], null, 1)}\n`);
}
console.log(`wrote ${Object.keys(out).length * 2} examples`);
