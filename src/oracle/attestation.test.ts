import { createRequire } from "node:module";
import { buildEddsa, buildPoseidon } from "circomlibjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDecimal } from "../protocol/decimal.ts";
import { initPoseidon } from "../protocol/poseidon.ts";
import {
  type Attestation,
  attestationMessage,
  combineSignatures,
  type OracleKeySet,
  type PriceStatement,
  publicKeyFromPrivate,
  signStatement,
  verifyAttestation,
} from "./attestation.ts";
import { attestationSize, decodeAttestation, encodeAttestation } from "./attestation-codec.ts";
import { checkDeviation } from "./deviation.ts";
import {
  type BabyJubPoint,
  derivePublicKey,
  fromLittleEndian,
  packPoint,
  SUBGROUP_ORDER,
  signPoseidon,
  toLittleEndian,
  unpackPoint,
  verifyPoseidon,
} from "./eddsa-poseidon.ts";
import { AttestationDecodeError, OracleError } from "./errors.ts";

/** The parts of circomlibjs's field and EdDSA objects the tests use. */
interface Field {
  e(value: bigint): unknown;
  toObject(value: unknown): bigint;
}
interface CircomEddsa {
  F: Field;
  prv2pub(privateKey: Uint8Array): [unknown, unknown];
  signPoseidon(privateKey: Uint8Array, message: unknown): { R8: [unknown, unknown]; S: bigint };
  verifyPoseidon(
    message: unknown,
    signature: { R8: [unknown, unknown]; S: bigint },
    publicKey: [unknown, unknown],
  ): boolean;
  packSignature(signature: { R8: [unknown, unknown]; S: bigint }): Uint8Array;
}
interface CircomPoseidon {
  (inputs: bigint[]): unknown;
  F: Field;
}
/** @zk-kit/eddsa-poseidon through its CommonJS build (its ESM build does not load in Node). */
interface ZkKit {
  signMessage(privateKey: Uint8Array, message: bigint): { R8: [bigint, bigint]; S: bigint };
  verifySignature(
    message: bigint,
    signature: { R8: [bigint, bigint]; S: bigint },
    publicKey: [bigint, bigint],
  ): boolean;
  derivePublicKey(privateKey: Uint8Array): [bigint, bigint];
}

let eddsa: CircomEddsa;
let circomPoseidon: CircomPoseidon;
const zkKit = createRequire(import.meta.url)("@zk-kit/eddsa-poseidon") as ZkKit;

// Top level, not beforeAll: some describe blocks sign while they are collected.
await initPoseidon();

beforeAll(async () => {
  eddsa = (await buildEddsa()) as CircomEddsa;
  circomPoseidon = (await buildPoseidon()) as CircomPoseidon;
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const key = (seed: number) => Uint8Array.from({ length: 32 }, (_, i) => (seed * 31 + i * 7) & 0xff);
const toCircom = (point: BabyJubPoint): [unknown, unknown] => [eddsa.F.e(point[0]), eddsa.F.e(point[1])];
const fromCircom = (point: [unknown, unknown]): BabyJubPoint => [
  eddsa.F.toObject(point[0]),
  eddsa.F.toObject(point[1]),
];

describe("EdDSA-Poseidon is circomlib's", () => {
  it("reproduces circomlibjs's own Poseidon test vector (iden3/circomlibjs test/eddsa.js)", () => {
    const privateKey = Uint8Array.from(
      Buffer.from("0001020304050607080900010203040506070809000102030405060708090001", "hex"),
    );
    const message = fromLittleEndian(Uint8Array.from(Buffer.from("000102030405060708090000", "hex")));
    expect(derivePublicKey(privateKey)).toEqual([
      13277427435165878497778222415993513565335242147425444199013288855685581939618n,
      13622229784656158136036771217484571176836296686641868549125388198837476602820n,
    ]);
    const signature = signPoseidon(privateKey, message);
    expect(signature.R8).toEqual([
      11384336176656855268977457483345535180380036354188103142384839473266348197733n,
      15383486972088797283337779941324724402501462225528836549661220478783371668959n,
    ]);
    expect(signature.S).toBe(1672775540645840396591609181675628451599263765380031905495115170613215233181n);
    const packed = new Uint8Array(64);
    packed.set(packPoint(signature.R8), 0);
    packed.set(toLittleEndian(signature.S, 32), 32);
    expect(hex(packed)).toBe(
      "dfedb4315d3f2eb4de2d3c510d7a987dcab67089c8ace06308827bf5bcbe02a2" +
        "9d043ece562a8f82bfc0adb640c0107a7d3a27c1c7c1a6179a0da73de5c1b203",
    );
  });

  it("signs exactly as circomlibjs signPoseidon, and each verifies the other's signatures", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.bigInt({ min: 0n, max: (1n << 253n) - 1n }),
        (privateKey, message) => {
          const ours = signPoseidon(privateKey, message);
          const theirs = eddsa.signPoseidon(privateKey, eddsa.F.e(message));
          const publicKey = derivePublicKey(privateKey);
          expect(publicKey).toEqual(fromCircom(eddsa.prv2pub(privateKey)));
          expect(ours.R8).toEqual(fromCircom(theirs.R8));
          expect(ours.S).toBe(BigInt(theirs.S));
          expect(
            eddsa.verifyPoseidon(
              eddsa.F.e(message),
              { R8: toCircom(ours.R8), S: ours.S },
              toCircom(publicKey),
            ),
          ).toBe(true);
          expect(verifyPoseidon(message, { R8: fromCircom(theirs.R8), S: BigInt(theirs.S) }, publicKey)).toBe(
            true,
          );
          const packed = eddsa.packSignature(theirs);
          expect(hex(packPoint(ours.R8))).toBe(hex(packed.subarray(0, 32)));
          expect(hex(toLittleEndian(ours.S, 32))).toBe(hex(packed.subarray(32)));
        },
      ),
      { numRuns: 12 },
    );
  });

  it("agrees with @zk-kit/eddsa-poseidon", () => {
    const privateKey = key(7);
    const message = 123456789n;
    const ours = signPoseidon(privateKey, message);
    expect(zkKit.signMessage(privateKey, message)).toEqual({ R8: [...ours.R8], S: ours.S });
    expect(
      zkKit.verifySignature(message, { R8: [...ours.R8], S: ours.S }, zkKit.derivePublicKey(privateKey)),
    ).toBe(true);
  });

  it("the attestation message is circomlib's Poseidon(3) of (price, timestamp, round)", () => {
    const statement: PriceStatement = {
      price: parseDecimal("97007.795"),
      timestamp: 1_750_000_000,
      round: 42n,
    };
    const expected = circomPoseidon.F.toObject(circomPoseidon([statement.price, 1_750_000_000n, 42n]));
    expect(attestationMessage(statement)).toBe(expected);
    // poseidon-lite's poseidon3 of the same inputs, kept from before the one Poseidon (docs/decisions.md §7)
    expect(attestationMessage(statement)).toBe(
      2752930044710244164208770956772659406184190986528025287746506240406222812927n,
    );
  });

  it("rejects what the circuit rejects: S ≥ l, a small-order key, a point off the curve", () => {
    const privateKey = key(3);
    const publicKey = derivePublicKey(privateKey);
    const signature = signPoseidon(privateKey, 5n);
    expect(verifyPoseidon(5n, signature, publicKey)).toBe(true);
    expect(verifyPoseidon(5n, { ...signature, S: signature.S + SUBGROUP_ORDER }, publicKey)).toBe(false);
    expect(verifyPoseidon(5n, signature, [0n, 1n])).toBe(false); // identity: x of 8·A is 0
    expect(verifyPoseidon(5n, signature, [publicKey[0], publicKey[1] + 1n])).toBe(false);
    expect(verifyPoseidon(6n, signature, publicKey)).toBe(false);
  });

  it("packs and unpacks points canonically", () => {
    const point = derivePublicKey(key(9));
    expect(unpackPoint(packPoint(point))).toEqual(point);
    const negated: BabyJubPoint = [
      21888242871839275222246405745257275088548364400416034343698204186575808495617n - point[0],
      point[1],
    ];
    expect(unpackPoint(packPoint(negated))).toEqual(negated);
    const notY = new Uint8Array(32).fill(0xff);
    notY[31] = 0x7f;
    expect(unpackPoint(notY)).toBeNull();
  });
});

describe("quorum attestations (2 of 3 registered keys)", () => {
  const privateKeys = [key(1), key(2), key(3)];
  const keySet: OracleKeySet = { keys: privateKeys.map(publicKeyFromPrivate), threshold: 2 };
  const statement: PriceStatement = { price: parseDecimal("97007.795"), timestamp: 1_750_000_000, round: 7n };
  const sign = (s: PriceStatement, index: number, privateKey = privateKeys[index] as Uint8Array) =>
    signStatement(s, privateKey, index);

  it("2 of 3 verifies, and so does 3 of 3", () => {
    expect(
      verifyAttestation(combineSignatures(statement, [sign(statement, 2), sign(statement, 0)]), keySet),
    ).toEqual({
      valid: true,
      signers: [0, 2],
    });
    expect(
      verifyAttestation(
        combineSignatures(
          statement,
          [0, 1, 2].map((i) => sign(statement, i)),
        ),
        keySet,
      ).valid,
    ).toBe(true);
  });

  it("1 of 3 does not", () => {
    expect(verifyAttestation(combineSignatures(statement, [sign(statement, 1)]), keySet)).toEqual({
      valid: false,
      reason: "1 distinct oracle key signed; 2 required",
    });
  });

  it("a wrong key does not", () => {
    const outsider = key(99);
    const result = verifyAttestation(
      combineSignatures(statement, [sign(statement, 0), sign(statement, 1, outsider)]),
      keySet,
    );
    expect(result).toEqual({
      valid: false,
      reason: "signature of signer 1 does not verify for price 97007.795, timestamp 1750000000, round 7",
    });
    expect(
      verifyAttestation(
        combineSignatures(statement, [sign(statement, 0), signStatement(statement, outsider, 3)]),
        keySet,
      ),
    ).toEqual({
      valid: false,
      reason: "signer 3 is not a registered oracle key (3 registered)",
    });
  });

  it("a duplicated signer does not", () => {
    const twice: Attestation = { ...statement, signatures: [sign(statement, 0), sign(statement, 0)] };
    expect(verifyAttestation(twice, keySet)).toEqual({
      valid: false,
      reason: "signer 0 appears more than once",
    });
    // One key registered under two indices counts once.
    const sameKey: OracleKeySet = {
      keys: [keySet.keys[0] as BabyJubPoint, keySet.keys[0] as BabyJubPoint, keySet.keys[2] as BabyJubPoint],
      threshold: 2,
    };
    const both = combineSignatures(statement, [
      sign(statement, 0),
      signStatement(statement, privateKeys[0] as Uint8Array, 1),
    ]);
    expect(verifyAttestation(both, sameKey)).toEqual({
      valid: false,
      reason: "1 distinct oracle key signed; 2 required",
    });
  });

  it("a changed price, timestamp or round does not", () => {
    const attestation = combineSignatures(statement, [sign(statement, 0), sign(statement, 1)]);
    for (const changed of [
      { ...attestation, price: attestation.price + 1n },
      { ...attestation, timestamp: attestation.timestamp + 1 },
      { ...attestation, round: attestation.round + 1n },
    ]) {
      const result = verifyAttestation(changed, keySet);
      expect(result.valid).toBe(false);
      expect(!result.valid && result.reason).toMatch(/^signature of signer 0 does not verify/);
    }
  });

  it("rejects statements and key sets out of range", () => {
    expect(() => attestationMessage({ ...statement, price: 0n })).toThrow(OracleError);
    expect(() => attestationMessage({ ...statement, price: 1n << 96n })).toThrow(
      /price must be an integer in \(0, 2\^96\)/,
    );
    expect(() => attestationMessage({ ...statement, round: 1n << 64n })).toThrow(/round/);
    expect(verifyAttestation({ ...statement, signatures: [] }, keySet)).toEqual({
      valid: false,
      reason: "the attestation carries no signature",
    });
    expect(
      verifyAttestation(combineSignatures(statement, [sign(statement, 0)]), { ...keySet, threshold: 4 }),
    ).toEqual({
      valid: false,
      reason: "threshold must be an integer in [1, 3], got 4",
    });
    expect(() => signStatement(statement, new Uint8Array(31), 0)).toThrow(
      /expected a 32-byte private key, got 31/,
    );
  });
});

describe("attestation bytes", () => {
  const privateKeys = [key(1), key(2), key(3)];
  const statement: PriceStatement = { price: parseDecimal("97007.795"), timestamp: 1_750_000_000, round: 7n };
  const twoOfThree = combineSignatures(statement, [
    signStatement(statement, privateKeys[0] as Uint8Array, 0),
    signStatement(statement, privateKeys[2] as Uint8Array, 2),
  ]);

  it("encodes 2-of-3 in 159 bytes with the documented layout and decodes it back", () => {
    const bytes = encodeAttestation(twoOfThree);
    expect(bytes.length).toBe(159);
    expect(attestationSize(2, 2)).toBe(159);
    expect(bytes[0]).toBe(1);
    expect(fromLittleEndian(bytes.subarray(1, 13))).toBe(statement.price);
    expect(fromLittleEndian(bytes.subarray(13, 21))).toBe(1_750_000_000n);
    expect(fromLittleEndian(bytes.subarray(21, 29))).toBe(7n);
    expect([bytes[29], bytes[30]]).toEqual([1, 0b101]);
    expect(hex(bytes.subarray(31, 63))).toBe(hex(packPoint(twoOfThree.signatures[0]?.R8 as BabyJubPoint)));
    expect(decodeAttestation(bytes)).toEqual(twoOfThree);
    const keys = privateKeys.map(publicKeyFromPrivate);
    expect(verifyAttestation(decodeAttestation(bytes), { keys, threshold: 2 }).valid).toBe(true);
  });

  it("signer 9 needs a two-byte bitmap", () => {
    const att = combineSignatures(statement, [signStatement(statement, key(5), 9)]);
    const bytes = encodeAttestation(att);
    expect(bytes[29]).toBe(2);
    expect([bytes[30], bytes[31]]).toEqual([0, 0b10]);
    expect(decodeAttestation(bytes).signatures.map((s) => s.signer)).toEqual([9]);
  });

  it("typed decode errors for each way bytes can be wrong", () => {
    const bytes = encodeAttestation(twoOfThree);
    const codeOf = (b: Uint8Array) => {
      try {
        decodeAttestation(b);
        return "decoded";
      } catch (error) {
        expect(error).toBeInstanceOf(AttestationDecodeError);
        return (error as AttestationDecodeError).code;
      }
    };
    expect(codeOf(bytes.subarray(0, 10))).toBe("truncated");
    expect(codeOf(bytes.subarray(0, 158))).toBe("truncated");
    expect(codeOf(Uint8Array.from([...bytes, 0]))).toBe("trailingBytes");
    const version = bytes.slice();
    version[0] = 2;
    expect(codeOf(version)).toBe("unsupportedVersion");
    const empty = bytes.slice(0, 30);
    empty[29] = 0;
    expect(codeOf(empty)).toBe("emptySignerSet");
    const padded = Uint8Array.from([...bytes.subarray(0, 29), 2, 0b101, 0, ...bytes.subarray(31)]);
    expect(codeOf(padded)).toBe("nonCanonicalBitmap");
    const bigS = bytes.slice();
    bigS.set(toLittleEndian(SUBGROUP_ORDER, 32), 63);
    expect(codeOf(bigS)).toBe("nonCanonicalScalar");
    const badPoint = bytes.slice();
    badPoint.set(new Uint8Array(32).fill(0xff), 31);
    expect(codeOf(badPoint)).toBe("invalidPoint");
    expect(codeOf("not bytes" as unknown as Uint8Array)).toBe("truncated");
  });

  it("arbitrary bytes decode or throw only AttestationDecodeError", () => {
    const valid = encodeAttestation(twoOfThree);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // Valid bytes with a few flipped: exercises the deeper checks.
          fc
            .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })
            .map((flips) => {
              const b = valid.slice();
              for (const [i, v] of flips) b[i] = v;
              return b;
            }),
        ),
        (bytes) => {
          try {
            decodeAttestation(bytes);
          } catch (error) {
            return error instanceof AttestationDecodeError;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it("encoding refuses unordered or duplicated signers", () => {
    const a = signStatement(statement, key(1), 0);
    const b = signStatement(statement, key(2), 1);
    expect(() => encodeAttestation({ ...statement, signatures: [b, a] })).toThrow(/ascending signer order/);
    expect(() => encodeAttestation({ ...statement, signatures: [a, a] })).toThrow(/ascending signer order/);
    expect(() => encodeAttestation({ ...statement, signatures: [] })).toThrow(/no signatures/);
  });
});

describe("deviation warning", () => {
  const local = parseDecimal("100000");
  it("is quiet within 2% and warns above it", () => {
    expect(checkDeviation(parseDecimal("101999"), local)).toMatchObject({ status: "ok", deviationBps: 199n });
    expect(checkDeviation(parseDecimal("102000"), local)).toMatchObject({ status: "ok", deviationBps: 200n });
    const warning = checkDeviation(parseDecimal("97500"), local);
    expect(warning).toMatchObject({ status: "warning", deviationBps: 250n });
    expect(warning.message).toBe(
      "the attested price 97500 is 2.50% from this browser's 100000, more than 2.00%",
    );
    expect(checkDeviation(parseDecimal("100600"), local, 50).status).toBe("warning");
  });

  it("cannot compare without a local price, and says why", () => {
    const result = checkDeviation(parseDecimal("100000"), {
      status: "unavailable",
      price: null,
      reason: "only 2 valid sources (coinbase, kraken); at least 3 are required",
      method: "median",
      at: 0,
      sources: [],
    });
    expect(result.status).toBe("unverifiable");
    expect(result.message).toContain("only 2 valid sources");
  });
});
