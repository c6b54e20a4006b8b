// Local phase-1 powers of tau for zkUSD (bn128, 2^POWER) with a recorded transcript.
//
// THIS IS NOT A TRUSTED-SETUP CEREMONY. Both contributions run on one machine in one process, so
// whoever runs it could keep the toxic waste. It exists so development artifacts come from a
// recorded transcript; docs/zk.md describes the public multi-party ceremony that replaces it.
// Entropy is drawn from the OS CSPRNG and discarded (recording it would reveal the toxic waste);
// names, contribution hashes and the beacon are recorded in public/zk/ceremony.json.
//
// Output: circuits/build/pot<P>_final.ptau (not committed, ~40 MB for P=15) and public/zk/ceremony.json.
// Usage: node scripts/circuits/ceremony.mjs [power=15]
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { curves, powersOfTau } from "snarkjs";

const power = Number(process.argv[2] ?? 15);
const dir = "circuits/build";
mkdirSync(dir, { recursive: true });
mkdirSync("public/zk", { recursive: true });
const file = (n) => join(dir, `pot${power}_${n}.ptau`);
const hex = (u8) => Buffer.from(u8).toString("hex");
const sha256File = (p) => createHash("sha256").update(readFileSync(p)).digest("hex");
const logger = {
  debug: () => {},
  info: (...a) => console.log(new Date().toISOString(), ...a),
  warn: (...a) => console.warn(...a),
  error: (...a) => console.error(...a),
};

// Beacon: a public value fixed before the run. A real ceremony uses the hash of a Bitcoin block
// mined after the last contribution; here it is SHA-256 of a fixed label, which anyone can recompute.
const beaconLabel = "zkUSD dev powers of tau beacon v1";
const beaconHash = createHash("sha256").update(beaconLabel).digest("hex");
const beaconIterationsExp = 10;

const steps = [];
async function step(name, fn) {
  const started = Date.now();
  const out = await fn();
  const seconds = (Date.now() - started) / 1000;
  steps.push({ step: name, seconds });
  console.log(`${name}: ${seconds}s`);
  return out;
}

const curve = await curves.getCurveFromName("bn128");
await step("new", () => powersOfTau.newAccumulator(curve, power, file(0), logger));
const contributions = [];
for (const [i, name] of ["zkusd-dev-contributor-1", "zkusd-dev-contributor-2"].entries()) {
  const hash = await step(`contribute ${name}`, () =>
    powersOfTau.contribute(file(i), file(i + 1), name, hex(randomBytes(64)), logger),
  );
  contributions.push({ name, contributionHash: hex(hash) });
}
const beaconContributionHash = await step("beacon", () =>
  powersOfTau.beacon(file(2), file(3), "zkusd-dev-beacon", beaconHash, beaconIterationsExp, logger),
);
await step("prepare phase2", () => powersOfTau.preparePhase2(file(3), `${file("final")}.tmp`, logger));
renameSync(`${file("final")}.tmp`, file("final"));
await curve.terminate();

const transcript = {
  warning: "Development setup generated on one machine. It is not a trusted-setup ceremony.",
  curve: "bn128",
  power,
  createdAt: new Date().toISOString(),
  contributions,
  beacon: {
    label: beaconLabel,
    hash: beaconHash,
    iterationsExp: beaconIterationsExp,
    contributionHash: hex(beaconContributionHash),
  },
  finalPtau: { file: `pot${power}_final.ptau`, sha256: sha256File(file("final")) },
  steps,
  tool: "snarkjs 0.7.6",
};
writeFileSync("public/zk/ceremony.json", `${JSON.stringify(transcript, null, 2)}\n`);
console.log("ceremony done");
process.exit(0);
