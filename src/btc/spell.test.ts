import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_AMOUNT } from "../protocol/decimal.ts";
import type { GovAction } from "../protocol/governance/index.ts";
import { SETTABLE_PARAMETERS } from "../protocol/governance/index.ts";
import type { Operation } from "../protocol/operations.ts";
import { FUND_OP_CODE } from "../settlement/fundSpell.ts";
import { SETTLE_OP_CODE } from "../settlement/settleSpell.ts";
import { SpellDecodeError, SpellEncodeError } from "./errors.ts";
import {
  decodeSpell,
  encodeSpell,
  fromOperation,
  MAX_PAYOUT_SCRIPT_BYTES,
  MAX_SPELL_BYTES,
  PROOF_BYTES,
  SPELL_SCHEMAS,
  type Spell,
  type SpellOperation,
  type SpellPayout,
  toOperation,
  tryDecodeSpell,
} from "./spell.ts";

const SAT = 10n ** 10n;
const account = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
const amount = fc.bigInt({ min: 0n, max: MAX_AMOUNT });
const sats = fc.bigInt({ min: 0n, max: 21_000_000n * 100_000_000n }).map((s) => s * SAT);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const ownerKey = fc
  .tuple(fc.constantFrom(2, 3), fc.uint8Array({ minLength: 32, maxLength: 32 }))
  .map(([p, x]) => Uint8Array.of(p, ...x));
const outputIndex = fc.integer({ min: 0, max: 0xffff });
/** A payout: a script (any bytes of 1–34: the codec checks the length only), a max fee, or both. */
const payout: fc.Arbitrary<SpellPayout> = fc
  .record({
    script: opt(fc.uint8Array({ minLength: 1, maxLength: MAX_PAYOUT_SCRIPT_BYTES })),
    maxFee: opt(fc.bigInt({ min: 1n, max: 21_000_000n * 100_000_000n })),
  })
  .map(clean)
  .filter((p) => p.script !== undefined || p.maxFee !== undefined);
/** An optional payout field on an op record. */
const withPayout = <T extends object>(arb: fc.Arbitrary<T>) =>
  fc.tuple(arb, opt(payout)).map(([o, p]) => clean({ ...o, payout: p }));
const proposalId = fc.bigInt({ min: 1n, max: (1n << 64n) - 1n });
const guardianKey = fc.stringMatching(/^0[23][0-9a-f]{64}$/);
const uint256 = fc.bigInt({ min: 0n, max: (1n << 256n) - 1n });
const govAction: fc.Arbitrary<GovAction> = fc.oneof(
  fc
    .constantFrom(...SETTABLE_PARAMETERS)
    .chain((name) =>
      (name === "utilizationPremiumEnabled" ? fc.boolean() : amount).map(
        (value): GovAction => ({ type: "setParameter", name, value }),
      ),
    ),
  fc.record({
    type: fc.constant("rotateGuardians" as const),
    keys: fc.array(guardianKey, { minLength: 1, maxLength: 6 }),
    threshold: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    type: fc.constant("rotateOracleKeys" as const),
    keys: fc.array(fc.tuple(uint256, uint256), { minLength: 1, maxLength: 3 }),
    threshold: fc.integer({ min: 0, max: 255 }),
  }),
  fc.constantFrom<GovAction>({ type: "pause" }, { type: "unpause" }, { type: "shutdown" }),
);

const spellOp: fc.Arbitrary<SpellOperation> = fc.oneof(
  fc.record({ type: fc.constant("setPrice" as const), price: amount }),
  fc
    .record({
      type: fc.constant("openVault" as const),
      collateral: sats,
      borrow: amount,
      maxFee: opt(amount),
      ownerKey: opt(ownerKey),
      vaultOutput: opt(outputIndex),
    })
    .map(clean),
  fc
    .record({
      type: fc.constant("adjustVault" as const),
      depositCollateral: opt(sats),
      withdrawCollateral: opt(sats),
      borrow: opt(amount),
      repay: opt(amount),
      maxFee: opt(amount),
      vaultOutput: opt(outputIndex),
      payout: opt(payout),
    })
    .map(clean),
  withPayout(fc.constant({ type: "closeVault" as const })),
  withPayout(fc.constant({ type: "claimSurplus" as const })),
  fc.record({ type: fc.constant("transfer" as const), to: account, amount }),
  fc.record({ type: fc.constant("approve" as const), spender: account, amount }),
  fc.record({ type: fc.constant("transferFrom" as const), from: account, to: account, amount }),
  withPayout(fc.record({ type: fc.constant("poolDeposit" as const), amount })),
  withPayout(fc.record({ type: fc.constant("poolWithdraw" as const), amount })),
  withPayout(fc.constant({ type: "claimGains" as const })),
  fc.constant({ type: "claimGainsToVault" as const }),
  withPayout(fc.record({ type: fc.constant("liquidate" as const), owner: account })),
  withPayout(
    fc.record({
      type: fc.constant("liquidateBatch" as const),
      count: fc.integer({ min: 0, max: 0xffffffff }),
    }),
  ),
  withPayout(
    fc.record({
      type: fc.constant("liquidateList" as const),
      owners: fc.array(account, { minLength: 1, maxLength: 8 }),
    }),
  ),
  withPayout(fc.record({ type: fc.constant("redeem" as const), amount, maxFee: opt(amount) }).map(clean)),
  fc.record({
    type: fc.constant("propose" as const),
    actions: fc.array(govAction, { minLength: 1, maxLength: 2 }),
  }),
  fc.record({
    type: fc.constant("vote" as const),
    proposalId,
    support: fc.constantFrom("for" as const, "against" as const, "abstain" as const),
  }),
  fc.record({ type: fc.constant("delegate" as const), delegatee: account }),
  fc.constant({ type: "undelegate" as const }),
  fc.record({ type: fc.constant("queue" as const), proposalId }),
  fc.record({ type: fc.constant("execute" as const), proposalId }),
  fc.record({ type: fc.constant("cancel" as const), proposalId }),
  fc.record({ type: fc.constant("veto" as const), proposalId }),
  fc.record({ type: fc.constant("approveRotation" as const), proposalId }),
);

const spell: fc.Arbitrary<Spell> = fc.record({
  version: fc.constant(1),
  op: spellOp,
  attestation: fc.uint8Array({ maxLength: 200 }),
  proof: fc.uint8Array({ minLength: PROOF_BYTES, maxLength: PROOF_BYTES }),
});

/** An engine operation through its spell bytes and back (the actor carried beside the spell). */
function throughSpell(op: Operation): Operation {
  const { op: sop, actor } = fromOperation(op);
  const bytes = encodeSpell({
    version: 1,
    op: sop,
    attestation: new Uint8Array(),
    proof: new Uint8Array(128),
  });
  return toOperation(decodeSpell(bytes).op, actor!);
}

describe("spell codec", () => {
  it("decode(encode(x)) = x for every operation", () => {
    fc.assert(
      fc.property(spell, (s) => {
        const bytes = encodeSpell(s);
        expect(bytes.length).toBeLessThanOrEqual(MAX_SPELL_BYTES);
        expect(decodeSpell(bytes)).toEqual(s);
      }),
      { numRuns: 3000 },
    );
  });

  it("covers every op code in the schema table", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(spellOp, (op) => void seen.add(op.type)),
      { numRuns: 2000 },
    );
    expect([...seen].sort()).toEqual(Object.keys(SPELL_SCHEMAS).sort());
  });

  it("encoding is canonical: encode(decode(b)) = b", () => {
    fc.assert(
      fc.property(spell, (s) => {
        expect(encodeSpell(decodeSpell(encodeSpell(s)))).toEqual(encodeSpell(s));
      }),
    );
  });

  it("decoding arbitrary bytes returns a SpellDecodeError and never throws anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (bytes) => {
        const r = tryDecodeSpell(bytes);
        if (!r.ok) expect(r.error).toBeInstanceOf(SpellDecodeError);
      }),
      { numRuns: 5000 },
    );
  });

  it("decoding a valid header followed by random bytes never throws anything but SpellDecodeError", () => {
    const codes = Object.values(SPELL_SCHEMAS).map((x) => x.code);
    fc.assert(
      fc.property(
        fc.constantFrom(...codes),
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        (code, tail) => {
          const r = tryDecodeSpell(Uint8Array.from([0x7a, 0x6b, 0x55, 0x53, 0x44, 1, code, ...tail]));
          if (!r.ok) expect(r.error).toBeInstanceOf(SpellDecodeError);
          else expect(encodeSpell(r.spell).length).toBe(7 + tail.length);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("decoding mutated valid spells never throws anything but SpellDecodeError", () => {
    fc.assert(
      fc.property(
        spell,
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
        fc.nat(),
        (s, edits, cut) => {
          const bytes = encodeSpell(s);
          for (const [i, b] of edits) bytes[i % bytes.length] = b;
          const truncated = cut % 3 === 0 ? bytes.subarray(0, cut % bytes.length) : bytes;
          try {
            decodeSpell(truncated);
          } catch (e) {
            expect(e).toBeInstanceOf(SpellDecodeError);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("rejects non-canonical LEB128 and trailing bytes", () => {
    const s: Spell = {
      version: 1,
      op: { type: "poolDeposit", amount: 5n },
      attestation: new Uint8Array(),
      proof: new Uint8Array(128),
    };
    const b = encodeSpell(s);
    // amount 5 = 0x05 at byte 8 (after the flags byte); rewrite as 0x85 0x00 (same value, non-minimal)
    const nonMinimal = Uint8Array.from([...b.subarray(0, 8), 0x85, 0x00, ...b.subarray(9)]);
    expect(() => decodeSpell(nonMinimal)).toThrow(expect.objectContaining({ code: "nonCanonicalInteger" }));
    expect(() => decodeSpell(Uint8Array.from([...b, 0]))).toThrow(
      expect.objectContaining({ code: "trailingBytes" }),
    );
    const badMagic = b.slice();
    badMagic[0] = 0;
    expect(tryDecodeSpell(badMagic)).toMatchObject({ ok: false, error: { code: "badMagic" } });
    const badOp = b.slice();
    badOp[6] = 0x67; // governance range: reserved, not yet defined
    expect(tryDecodeSpell(badOp)).toMatchObject({ ok: false, error: { code: "unknownOpCode" } });
  });

  it("decodes amounts up to 2^112 − 1 and rejects larger ones (up to 2^256) with amountTooLarge", () => {
    const deposit = (amount: bigint): Spell => ({
      version: 1,
      op: { type: "poolDeposit", amount },
      attestation: new Uint8Array(),
      proof: new Uint8Array(128),
    });
    expect(decodeSpell(encodeSpell(deposit(MAX_AMOUNT))).op).toEqual({
      type: "poolDeposit",
      amount: MAX_AMOUNT,
    });
    expect(() => encodeSpell(deposit(MAX_AMOUNT + 1n))).toThrow(
      expect.objectContaining({ code: "amountTooLarge" }),
    );
    // Hand-written bytes, as an attacker would: every amount field of every op, just above the bound,
    // at the BN254 field modulus and at 2^256 − 1 (the halting spells of issue 14).
    const leb = (v: bigint) => {
      const out: number[] = [];
      do {
        out.push(Number(v & 0x7fn) | (v >> 7n ? 0x80 : 0));
        v >>= 7n;
      } while (v);
      return out;
    };
    const FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const tail = [0, ...new Array(128).fill(0)];
    for (const big of [MAX_AMOUNT + 1n, FIELD, (1n << 256n) - 1n]) {
      const bodies: [string, number[]][] = [
        ["setPrice", [0x01, ...leb(big)]],
        ["openVault", [0x10, 0, ...leb(1n), ...leb(big)]],
        ["openVault maxFee", [0x10, 1, ...leb(1n), ...leb(1n), ...leb(big)]],
        ["adjustVault borrow", [0x11, 0b00100, ...leb(big)]],
        ["adjustVault repay", [0x11, 0b01000, ...leb(big)]],
        ["adjustVault maxFee", [0x11, 0b10100, ...leb(1n), ...leb(big)]],
        ["transfer", [0x20, 1, 0x62, ...leb(big)]],
        ["approve", [0x21, 1, 0x62, ...leb(big)]],
        ["transferFrom", [0x22, 1, 0x61, 1, 0x62, ...leb(big)]],
        ["poolDeposit", [0x30, 0, ...leb(big)]],
        ["poolWithdraw", [0x31, 0, ...leb(big)]],
        ["redeem", [0x50, 0, ...leb(big)]],
        ["redeem maxFee", [0x50, 1, ...leb(1n), ...leb(big)]],
      ];
      for (const [name, body] of bodies) {
        const bytes = Uint8Array.from([0x7a, 0x6b, 0x55, 0x53, 0x44, 1, ...body, ...tail]);
        const out = tryDecodeSpell(bytes);
        expect(out.ok ? "decoded" : out.error.code, `${name} of ${big}`).toBe("amountTooLarge");
      }
    }
  });

  it("refuses collateral that is not a whole number of satoshis", () => {
    const s: Spell = {
      version: 1,
      op: { type: "openVault", collateral: SAT + 1n, borrow: 0n },
      attestation: new Uint8Array(),
      proof: new Uint8Array(128),
    };
    expect(() => encodeSpell(s)).toThrow(SpellEncodeError);
    expect(() => encodeSpell(s)).toThrow(expect.objectContaining({ code: "notWholeSatoshis" }));
  });

  it("keeps a spell under 1,000 bytes and refuses larger ones", () => {
    const big: Spell = {
      version: 1,
      op: {
        type: "liquidateList",
        owners: Array.from({ length: 64 }, (_, i) => `bcrt1q${"x".repeat(50)}${i}`),
      },
      attestation: new Uint8Array(),
      proof: new Uint8Array(128),
    };
    expect(() => encodeSpell(big)).toThrow(expect.objectContaining({ code: "tooLarge" }));
    expect(() => decodeSpell(new Uint8Array(1000))).toThrow(expect.objectContaining({ code: "tooLarge" }));
  });

  it("has a documented byte layout (fixed vector)", () => {
    const s: Spell = {
      version: 1,
      op: {
        type: "openVault",
        collateral: 150_000n * SAT,
        borrow: 2000n * 10n ** 18n,
        maxFee: 5n * 10n ** 16n,
      },
      attestation: Uint8Array.of(0xaa, 0xbb),
      proof: new Uint8Array(128).fill(0xcc),
    };
    const hex = Buffer.from(encodeSpell(s)).toString("hex");
    // magic, version 1, op 0x10, flags 0x01 (maxFee present), 150000 sats = f0 93 09, borrow, maxFee,
    // attestation length 2 + bytes, then the 128-byte proof.
    expect(hex.startsWith("7a6b555344" + "01" + "10" + "01" + "f09309")).toBe(true);
    expect(hex.endsWith("02aabb" + "cc".repeat(128))).toBe(true);
  });

  it("maps engine operations to spell operations and back through the actor", () => {
    const ops: Operation[] = [
      { type: "openVault", owner: "alice", collateral: 10n * SAT, borrow: 2000n, maxFee: 1n },
      { type: "adjustVault", owner: "alice", repay: 5n },
      { type: "transfer", from: "alice", to: "bob", amount: 1n },
      { type: "transferFrom", spender: "carol", from: "alice", to: "bob", amount: 1n },
      { type: "approve", owner: "alice", spender: "carol", amount: 9n },
      { type: "liquidate", owner: "bob", liquidator: "alice" },
      { type: "liquidateBatch", count: 3, liquidator: "alice" },
      { type: "liquidateList", owners: ["bob", "carol"], liquidator: "alice" },
      { type: "redeem", redeemer: "alice", amount: 7n },
      { type: "claimGainsToVault", owner: "alice" },
    ];
    for (const op of ops) expect(throughSpell(op)).toEqual(op);
    expect(fromOperation({ type: "setPrice", price: 5n }).actor).toBeNull();
  });

  it("carries governance operations with their actor, and proposals with every action kind", () => {
    const guardian = `03${"ab".repeat(32)}`;
    const ops: Operation[] = [
      {
        type: "propose",
        proposer: "alice",
        actions: [
          { type: "setParameter", name: "MCR", value: 12n * 10n ** 17n },
          { type: "setParameter", name: "utilizationPremiumEnabled", value: true },
          { type: "setParameter", name: "timelockDelay", value: 3n * 86_400n },
          { type: "rotateGuardians", keys: [guardian, `02${"cd".repeat(32)}`], threshold: 2 },
          {
            type: "rotateOracleKeys",
            keys: [
              [1n, 2n],
              [3n, 4n],
              [5n, (1n << 255n) + 7n],
            ],
            threshold: 2,
          },
          { type: "pause" },
          { type: "unpause" },
          { type: "shutdown" },
        ],
      },
      { type: "vote", voter: "bob", proposalId: 1n, support: "abstain" },
      { type: "delegate", delegator: "bob", delegatee: "carol" },
      { type: "undelegate", delegator: "bob" },
      { type: "queue", caller: "keeper", proposalId: 300n },
      { type: "execute", caller: "keeper", proposalId: 300n },
      { type: "cancel", proposer: "alice", proposalId: 2n },
      { type: "veto", guardian, proposalId: 2n },
      { type: "approveRotation", guardian, proposalId: 2n },
    ];
    for (const op of ops) expect(throughSpell(op)).toEqual(op);
    const vote = encodeSpell({
      version: 1,
      op: { type: "vote", proposalId: 300n, support: "for" },
      attestation: new Uint8Array(),
      proof: new Uint8Array(128),
    });
    // op 0x61, proposal id 300 = ac 02, support 1 (for), empty attestation.
    expect(Buffer.from(vote.subarray(6, 11)).toString("hex")).toBe("61ac020100");
    const veto = encodeSpell({
      version: 1,
      op: { type: "veto", proposalId: 1n },
      attestation: new Uint8Array(),
      proof: new Uint8Array(128),
    });
    expect(veto[6]).toBe(0x80);
    // Guardian op codes stay clear of the settlement spells' (settle 0x81, fund 0x82).
    const codes = Object.values(SPELL_SCHEMAS).map((s) => s.code);
    expect(codes).not.toContain(SETTLE_OP_CODE);
    expect(codes).not.toContain(FUND_OP_CODE);
    expect(new Set(codes).size).toBe(codes.length);
    expect(() =>
      encodeSpell({
        version: 1,
        op: { type: "vote", proposalId: 0n, support: "for" },
        attestation: new Uint8Array(),
        proof: new Uint8Array(128),
      }),
    ).toThrow(SpellEncodeError);
    expect(() => fromOperation({ type: "setBaseRate", value: 1n })).toThrow(SpellEncodeError);
  });
});

describe("custody fields (docs/decisions.md §2a: owner key and inflow output)", () => {
  const key = Uint8Array.of(2, ...new Array(32).fill(0x11));
  const base = { version: 1, attestation: new Uint8Array(), proof: new Uint8Array(PROOF_BYTES) };

  it("an open carries the 33-byte owner key and its vault output index; the engine sees neither", () => {
    const s: Spell = {
      ...base,
      op: { type: "openVault", collateral: 10n * SAT, borrow: 1n, ownerKey: key, vaultOutput: 1 },
    };
    const decoded = decodeSpell(encodeSpell(s));
    expect(decoded.op).toEqual(s.op);
    expect(toOperation(decoded.op, "alice")).toEqual({
      type: "openVault",
      owner: "alice",
      collateral: 10n * SAT,
      borrow: 1n,
    });
  });

  it("refuses a key that is not 33 bytes with a compressed prefix, and an output index out of range", () => {
    const bad = (op: object) => () => encodeSpell({ ...base, op } as Spell);
    expect(bad({ type: "openVault", collateral: 0n, borrow: 0n, ownerKey: key.subarray(1) })).toThrow(
      SpellEncodeError,
    );
    expect(bad({ type: "adjustVault", vaultOutput: 0x10000 })).toThrow(SpellEncodeError);
    const bytes = encodeSpell({
      ...base,
      op: { type: "openVault", collateral: 0n, borrow: 0n, ownerKey: key },
    });
    const prefixAt = bytes.indexOf(0x02, 8);
    const tampered = Uint8Array.from(bytes);
    tampered[prefixAt] = 0x04;
    expect(tryDecodeSpell(tampered)).toMatchObject({ ok: false, error: { code: "invalidField" } });
  });
});

describe('payout field (docs/spell-format.md "Payout": where an outflow\'s BTC goes)', () => {
  const base = { version: 1, attestation: new Uint8Array(), proof: new Uint8Array(PROOF_BYTES) };
  const p2tr = Uint8Array.of(0x51, 0x20, ...new Array(32).fill(0xab));
  const bytesOf = (op: SpellOperation) => encodeSpell({ ...base, op });

  it("travels behind the flags byte of every op that pays BTC out; the engine never sees it", () => {
    const outflows = Object.entries(SPELL_SCHEMAS)
      .filter(([, s]) => s.fields.some((x) => x.name === "payout"))
      .map(([t]) => t)
      .sort();
    expect(outflows).toEqual(
      [
        "adjustVault",
        "claimGains",
        "claimSurplus",
        "closeVault",
        "liquidate",
        "liquidateBatch",
        "liquidateList",
        "poolDeposit",
        "poolWithdraw",
        "redeem",
      ].sort(),
    );
    const op: SpellOperation = { type: "closeVault", payout: { script: p2tr, maxFee: 2_000n } };
    // magic, version, op, flags 0x01, script length 34, script, max fee 2000 = d0 0f, attestation 0, proof.
    expect(Buffer.from(bytesOf(op).subarray(6, 10)).toString("hex")).toBe("12012251");
    expect(bytesOf(op).length).toBe(7 + 1 + 1 + 34 + 2 + 1 + PROOF_BYTES);
    expect(decodeSpell(bytesOf(op)).op).toEqual(op);
    expect(toOperation(decodeSpell(bytesOf(op)).op, "bob")).toEqual({ type: "closeVault", owner: "bob" });
    // Without a payout: one flags byte of 0.
    expect(bytesOf({ type: "closeVault" }).length).toBe(7 + 1 + 1 + PROOF_BYTES);
    // adjustVault's eighth optional field fills its flags byte exactly.
    const adjust: SpellOperation = {
      type: "adjustVault",
      withdrawCollateral: SAT,
      payout: { maxFee: 1_500n },
    };
    expect(bytesOf(adjust)[7]).toBe(0b1000_0010);
    expect(decodeSpell(bytesOf(adjust)).op).toEqual(adjust);
  });

  it("refuses an empty payout, a script longer than 34 bytes and a maximum fee of 0 (encode and decode)", () => {
    const bad = (payout: unknown) => () => bytesOf({ type: "claimGains", payout } as SpellOperation);
    expect(bad({})).toThrow(SpellEncodeError);
    expect(bad({ script: new Uint8Array(35) })).toThrow(SpellEncodeError);
    expect(bad({ script: new Uint8Array(0) })).toThrow(SpellEncodeError);
    expect(bad({ maxFee: 0n })).toThrow(SpellEncodeError);
    expect(bad({ maxFee: 2_100_000_000_000_001n })).toThrow(SpellEncodeError);
    const header = [0x7a, 0x6b, 0x55, 0x53, 0x44, 1, 0x32, 0x01];
    const proof = new Array(PROOF_BYTES).fill(0);
    // Script length 0 and max fee 0: names nothing, yet its flag is set.
    expect(tryDecodeSpell(Uint8Array.from([...header, 0, 0, 0, ...proof]))).toMatchObject({
      ok: false,
      error: { code: "invalidField" },
    });
    expect(
      tryDecodeSpell(Uint8Array.from([...header, 35, ...new Array(35).fill(0x51), 0, 0, ...proof])),
    ).toMatchObject({ ok: false, error: { code: "invalidField" } });
    // A flag bit past the payout's is unknown.
    expect(tryDecodeSpell(Uint8Array.from([...header.slice(0, 7), 0x02, 0, ...proof]))).toMatchObject({
      ok: false,
      error: { code: "invalidField" },
    });
  });

  it("decoding any bytes after an outflow op's header is a SpellDecodeError or round-trips", () => {
    const codes = Object.values(SPELL_SCHEMAS)
      .filter((s) => s.fields.some((x) => x.name === "payout"))
      .map((s) => s.code);
    fc.assert(
      fc.property(
        fc.constantFrom(...codes),
        fc.constantFrom(0x00, 0x01, 0x02, 0x03, 0x80, 0x81, 0xff),
        fc.uint8Array({ maxLength: 300 }),
        (code, flags, tail) => {
          const bytes = Uint8Array.from([0x7a, 0x6b, 0x55, 0x53, 0x44, 1, code, flags, ...tail]);
          const r = tryDecodeSpell(bytes);
          if (!r.ok) expect(r.error).toBeInstanceOf(SpellDecodeError);
          else expect(encodeSpell(r.spell)).toEqual(bytes);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
