// `npm run circuits`: compile every circuit (circom2 --O2), run the per-circuit Groth16 setup (phase 2)
// on the recorded powers of tau (circuits/ptau/pot15_final.ptau, copied to circuits/build/) with one
// contribution and a beacon, export verification keys, and write
// public/zk/{NAME.wasm, NAME.zkey, NAME.vkey.json, manifest.json}. Run it under the heavy lock.
//
//   node scripts/circuits/build.mjs             compile + setup all circuits
//   node scripts/circuits/build.mjs --check     CI: recompile, compare r1cs SHA-256 with the manifest
//   node scripts/circuits/build.mjs NAME...     only these circuits (manifest entries of others kept)
//
// Run from the repo root (circom2 runs in WASI and cannot read above the working directory).
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { r1cs as r1csApi, zKey } from "snarkjs";

const ALL = ["vault"];
const PTAU = "circuits/build/pot15_final.ptau";
const RECORDED_PTAU = "circuits/ptau/pot15_final.ptau";
// circom2 runs in WASI and reads only below the working directory: circomlib is copied (symlinks
// resolved) into the build folder, which also works when node_modules is a symlink (work trees).
const INCLUDE = "circuits/build/include";
const OUT = "public/zk";
const args = process.argv.slice(2);
const check = args.includes("--check");
const names = args.filter((a) => !a.startsWith("--"));
const selected = names.length ? names : ALL;
for (const n of selected) if (!ALL.includes(n)) throw new Error(`unknown circuit ${n}`);

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const fileEntry = (path) => ({
  path: path.replace(/^public\//, ""),
  sha256: sha256(path),
  bytes: statSync(path).size,
});
const quiet = { debug() {}, info() {}, warn: console.warn, error: console.error };

function compile(name) {
  const dir = `circuits/build/${name}`;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(INCLUDE, "circomlib"))) {
    cpSync("node_modules/circomlib", join(INCLUDE, "circomlib"), { recursive: true, dereference: true });
  }
  const started = Date.now();
  execFileSync(
    "node",
    [
      "node_modules/circom2/cli.js",
      `circuits/${name}.circom`,
      "--r1cs",
      "--wasm",
      "--sym",
      "--O2",
      "-l",
      INCLUDE,
      "-o",
      dir,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return { dir, seconds: (Date.now() - started) / 1000 };
}

/** `// rule: code` comments on constraint lines → "Template:line" → code, for readable proving errors. */
function rules() {
  const sources = { VaultOp: "circuits/lib/vault.circom" };
  const out = {};
  for (const [template, file] of Object.entries(sources)) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        const m = line.match(/\/\/ rule: (\w+)/);
        if (m) out[`${template}:${i + 1}`] = m[1];
      });
  }
  return out;
}

const manifestPath = join(OUT, "manifest.json");
const previous = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : { circuits: [] };

if (check) {
  let failed = 0;
  for (const name of selected) {
    const { dir } = compile(name);
    const got = sha256(join(dir, `${name}.r1cs`));
    const want = previous.circuits.find((c) => c.name === name)?.r1csSha256;
    const ok = got === want;
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${name} r1cs ${got}${ok ? "" : ` (manifest ${want})`}`);
  }
  process.exit(failed ? 1 : 0);
}

if (!existsSync(PTAU)) {
  mkdirSync("circuits/build", { recursive: true });
  copyFileSync(RECORDED_PTAU, PTAU);
}
if (sha256(PTAU) !== JSON.parse(readFileSync(join(OUT, "ceremony.json"), "utf8")).finalPtau.sha256) {
  console.error(`${PTAU} is not the phase 1 public/zk/ceremony.json records (circuits/ptau/README.md)`);
  process.exit(1);
}
mkdirSync(OUT, { recursive: true });
const ceremony = JSON.parse(readFileSync(join(OUT, "ceremony.json"), "utf8"));
const beaconHash = createHash("sha256").update(`zkUSD dev circuit beacon v1`).digest("hex");
const entries = new Map(previous.circuits.map((c) => [c.name, c]));

for (const name of selected) {
  const { dir, seconds: compileSeconds } = compile(name);
  const r1csPath = join(dir, `${name}.r1cs`);
  const info = await r1csApi.info(r1csPath, quiet);
  const t0 = Date.now();
  const z0 = join(dir, `${name}_0.zkey`);
  const z1 = join(dir, `${name}_1.zkey`);
  const zkeyPath = join(OUT, `${name}.zkey`);
  await zKey.newZKey(r1csPath, PTAU, z0, quiet);
  const contribution = await zKey.contribute(
    z0,
    z1,
    `zkusd-dev-${name}`,
    randomBytes(64).toString("hex"),
    quiet,
  );
  const beacon = await zKey.beacon(z1, zkeyPath, `zkusd-dev-${name}-beacon`, beaconHash, 10, quiet);
  const vkey = await zKey.exportVerificationKey(zkeyPath, quiet);
  writeFileSync(join(OUT, `${name}.vkey.json`), `${JSON.stringify(vkey, null, 1)}\n`);
  copyFileSync(join(dir, `${name}_js`, `${name}.wasm`), join(OUT, `${name}.wasm`));
  const hex = (u8) => Buffer.from(u8).toString("hex");
  entries.set(name, {
    name,
    constraints: info.nConstraints,
    nPublic: info.nPubInputs + info.nOutputs,
    r1csSha256: sha256(r1csPath),
    files: {
      wasm: fileEntry(join(OUT, `${name}.wasm`)),
      zkey: fileEntry(zkeyPath),
      vkey: fileEntry(join(OUT, `${name}.vkey.json`)),
    },
    setup: {
      contribution: { name: `zkusd-dev-${name}`, hash: hex(contribution) },
      beacon: { hash: beaconHash, iterationsExp: 10, contributionHash: hex(beacon) },
      compileSeconds,
      setupSeconds: (Date.now() - t0) / 1000,
    },
  });
  console.log(`${name}: ${info.nConstraints} constraints, setup ${(Date.now() - t0) / 1000}s`);
}

const manifest = {
  warning: "Development setup on one machine: not a trusted-setup ceremony (docs/zk.md).",
  version: 1,
  compiler: "circom 2.2.3 (circom2 0.2.23), --O2",
  ptau: { power: ceremony.power, sha256: ceremony.finalPtau.sha256, transcript: "zk/ceremony.json" },
  circuits: ALL.filter((n) => entries.has(n)).map((n) => entries.get(n)),
  rules: rules(),
};
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
// snarkjs leaves its curve worker threads running; stop them so the process exits.
await globalThis.curve_bn128?.terminate();
process.exit(0);
