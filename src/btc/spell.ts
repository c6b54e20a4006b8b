/**
 * Spell codec (docs/decisions.md §7, byte layout in docs/spell-format.md).
 *
 *   magic "zkUSD" (5) | version (1) | op code (1) | arguments | attestation | proof (128)
 *
 * Integers and amounts are unsigned minimal LEB128, amounts at most MAX_AMOUNT (2^112 − 1, the engine's
 * bound); collateral travels as whole satoshis; account ids
 * as a 1-byte length (1–128) then printable ASCII (a subset of UTF-8); optional arguments behind one
 * presence-flags byte. The attestation is an opaque LEB128-length-prefixed byte field (the oracle owns
 * its format). A spell carries no actor: the actor is the owner of the transaction's first input,
 * filled in by the indexer with `toOperation(spell.op, actor)`.
 */

import { hex } from "@scure/base";
import { MAX_AMOUNT, SATOSHI } from "../protocol/decimal.ts";
import { ProtocolError } from "../protocol/errors.ts";
import {
  type GovAction,
  MAX_ACTIONS,
  MAX_GUARDIANS,
  ORACLE_KEY_SLOTS,
  SETTABLE_PARAMETERS,
  SUPPORT,
  type Support,
} from "../protocol/governance/index.ts";
import { type AccountId, assertAccount, type Operation } from "../protocol/operations.ts";
import { PARAM_BOUNDS } from "../protocol/params.ts";
import { SpellDecodeError, SpellEncodeError } from "./errors.ts";
import { readLeb128, writeLeb128 } from "./leb128.ts";

/** "zkUSD" in ASCII. */
export const SPELL_MAGIC = Uint8Array.of(0x7a, 0x6b, 0x55, 0x53, 0x44);
export const SPELL_VERSION = 1;
/** Compressed Groth16 proof (A, B, C): always exactly this many bytes; all zero = no proof. */
export const PROOF_BYTES = 128;
/** A spell stays under 1,000 bytes (docs/decisions.md §2). */
export const MAX_SPELL_BYTES = 999;
export const MAX_ATTESTATION_BYTES = 512;
/** Largest list of owners in a liquidateList spell. */
export const MAX_LIST_LENGTH = 64;
/** 21 million BTC in satoshis: no collateral amount can exceed it. */
const MAX_SATS = 21_000_000n * 100_000_000n;
const MAX_COUNT = 0xffff_ffff;
/** Largest output index a spell can name (a relayable transaction has far fewer outputs). */
export const MAX_OUTPUT_INDEX = 0xffff;
/** Compressed secp256k1 key length. */
const KEY_BYTES = 33;
/** Spell fields that say where BTC travels (custody, src/settlement), not what the ledger does. */
export const CUSTODY_FIELDS = ["ownerKey", "vaultOutput", "payout"] as const;
/**
 * Longest payout script a spell carries: the longest standard type (P2WSH, P2TR: 34 bytes). The codec
 * checks the length only; which scripts may be paid is the settlement module's rule (`payoutOf`).
 */
export const MAX_PAYOUT_SCRIPT_BYTES = 34;

/**
 * Where an outflow spell's BTC goes (docs/spell-format.md "Payout"): a destination script and the
 * largest fee share its payee accepts, in whole sats. Either may be absent: the actor's own script,
 * the default maximum fee (`DEFAULT_PAYOUT_MAX_FEE`).
 */
export interface SpellPayout {
  script?: Uint8Array;
  /** Whole satoshis, ≥ 1. */
  maxFee?: bigint;
}
/** Largest proposal id a spell can name. */
const MAX_PROPOSAL_ID = (1n << 64n) - 1n;
/** Proposal action tags (docs/spell-format.md "Governance"). */
const ACTION_TAGS = {
  setParameter: 0x01,
  rotateGuardians: 0x02,
  rotateOracleKeys: 0x03,
  pause: 0x04,
  unpause: 0x05,
  shutdown: 0x06,
} as const;

/** An operation as a spell carries it: the engine Operation without its actor field. */
export type SpellOperation =
  | { type: "setPrice"; price: bigint }
  | {
      type: "openVault";
      collateral: bigint;
      borrow: bigint;
      maxFee?: bigint;
      /** The declared borrowing fee (docs/zk.md "Declared fee"). */
      fee?: bigint;
      /** The owner's 33-byte compressed key (docs/decisions.md §2a "Owner keys"); the indexer requires it. */
      ownerKey?: Uint8Array;
      /** Index of this transaction's output that pays the collateral to the vault script (§2a rule 1). */
      vaultOutput?: number;
    }
  | {
      type: "adjustVault";
      depositCollateral?: bigint;
      withdrawCollateral?: bigint;
      borrow?: bigint;
      repay?: bigint;
      maxFee?: bigint;
      /** The declared borrowing fee (docs/zk.md "Declared fee"). */
      fee?: bigint;
      /** With a deposit: index of the output paying it to the vault script (§2a rule 1). */
      vaultOutput?: number;
      /** With a withdrawal: where it is paid (custody field). */
      payout?: SpellPayout;
    }
  | { type: "closeVault"; payout?: SpellPayout }
  | { type: "claimSurplus"; payout?: SpellPayout }
  | { type: "transfer"; to: AccountId; amount: bigint }
  | { type: "approve"; spender: AccountId; amount: bigint }
  | { type: "transferFrom"; from: AccountId; to: AccountId; amount: bigint }
  | { type: "poolDeposit"; amount: bigint; payout?: SpellPayout }
  | { type: "poolWithdraw"; amount: bigint; payout?: SpellPayout }
  | { type: "claimGains"; payout?: SpellPayout }
  | { type: "claimGainsToVault" }
  | { type: "liquidate"; owner: AccountId; payout?: SpellPayout }
  | { type: "liquidateBatch"; count: number; payout?: SpellPayout }
  | { type: "liquidateList"; owners: AccountId[]; payout?: SpellPayout }
  | { type: "redeem"; amount: bigint; maxFee?: bigint; payout?: SpellPayout }
  | { type: "propose"; actions: GovAction[] }
  | { type: "vote"; proposalId: bigint; support: Support }
  | { type: "delegate"; delegatee: AccountId }
  | { type: "undelegate" }
  | { type: "queue"; proposalId: bigint }
  | { type: "execute"; proposalId: bigint }
  | { type: "cancel"; proposalId: bigint }
  | { type: "veto"; proposalId: bigint }
  | { type: "approveRotation"; proposalId: bigint };

export type SpellOperationType = SpellOperation["type"];

export interface Spell {
  version: number;
  op: SpellOperation;
  /** Inline price attestation (oracle's encoding, opaque here); empty when the op needs no price. */
  attestation: Uint8Array;
  /** Compressed Groth16 proof, exactly 128 bytes (opaque here). */
  proof: Uint8Array;
}

type FieldKind =
  | "sats"
  | "amount"
  | "account"
  | "count"
  | "accounts"
  | "proposalId"
  | "support"
  | "actions"
  | "key"
  | "output"
  | "payout";
interface Field {
  name: string;
  kind: FieldKind;
  optional?: boolean;
}
interface Schema {
  code: number;
  fields: Field[];
  /** Name of the engine Operation field the actor fills, or null (no actor). */
  actor: string | null;
}

const f = (name: string, kind: FieldKind, optional = false): Field => ({ name, kind, optional });
/**
 * The payout of an operation that pays BTC out (docs/decisions.md §2a rule 2): the last optional field, so
 * an op that had no optional argument gains a flags byte (docs/spell-format.md "Payout").
 */
const PAYOUT = f("payout", "payout", true);

/**
 * Op codes by range: 0x01–0x0f oracle/system, 0x10 vaults, 0x20 token, 0x30 stability pool,
 * 0x40 liquidation, 0x50 redemption, 0x60–0x7f governance (0x60–0x66 used), 0x80–0x8f guardian (0x80 veto, 0x81 settle and 0x82 fund in src/settlement, 0x83 approveRotation),
 * 0x00 and 0x90–0xff reserved. `setBaseRate` is test-only and has no op code.
 */
export const SPELL_SCHEMAS: Readonly<Record<SpellOperationType, Schema>> = {
  setPrice: { code: 0x01, actor: null, fields: [f("price", "amount")] },
  openVault: {
    code: 0x10,
    actor: "owner",
    fields: [
      f("collateral", "sats"),
      f("borrow", "amount"),
      f("maxFee", "amount", true),
      f("ownerKey", "key", true),
      f("vaultOutput", "output", true),
      f("fee", "amount", true),
    ],
  },
  adjustVault: {
    code: 0x11,
    actor: "owner",
    fields: [
      f("depositCollateral", "sats", true),
      f("withdrawCollateral", "sats", true),
      f("borrow", "amount", true),
      f("repay", "amount", true),
      f("maxFee", "amount", true),
      f("vaultOutput", "output", true),
      f("fee", "amount", true),
      PAYOUT,
    ],
  },
  closeVault: { code: 0x12, actor: "owner", fields: [PAYOUT] },
  claimSurplus: { code: 0x13, actor: "owner", fields: [PAYOUT] },
  transfer: { code: 0x20, actor: "from", fields: [f("to", "account"), f("amount", "amount")] },
  approve: { code: 0x21, actor: "owner", fields: [f("spender", "account"), f("amount", "amount")] },
  transferFrom: {
    code: 0x22,
    actor: "spender",
    fields: [f("from", "account"), f("to", "account"), f("amount", "amount")],
  },
  poolDeposit: { code: 0x30, actor: "owner", fields: [f("amount", "amount"), PAYOUT] },
  poolWithdraw: { code: 0x31, actor: "owner", fields: [f("amount", "amount"), PAYOUT] },
  claimGains: { code: 0x32, actor: "owner", fields: [PAYOUT] },
  claimGainsToVault: { code: 0x33, actor: "owner", fields: [] },
  liquidate: { code: 0x40, actor: "liquidator", fields: [f("owner", "account"), PAYOUT] },
  liquidateBatch: { code: 0x41, actor: "liquidator", fields: [f("count", "count"), PAYOUT] },
  liquidateList: { code: 0x42, actor: "liquidator", fields: [f("owners", "accounts"), PAYOUT] },
  redeem: {
    code: 0x50,
    actor: "redeemer",
    fields: [f("amount", "amount"), f("maxFee", "amount", true), PAYOUT],
  },
  propose: { code: 0x60, actor: "proposer", fields: [f("actions", "actions")] },
  vote: { code: 0x61, actor: "voter", fields: [f("proposalId", "proposalId"), f("support", "support")] },
  delegate: { code: 0x62, actor: "delegator", fields: [f("delegatee", "account")] },
  undelegate: { code: 0x63, actor: "delegator", fields: [] },
  queue: { code: 0x64, actor: "caller", fields: [f("proposalId", "proposalId")] },
  execute: { code: 0x65, actor: "caller", fields: [f("proposalId", "proposalId")] },
  cancel: { code: 0x66, actor: "proposer", fields: [f("proposalId", "proposalId")] },
  veto: { code: 0x80, actor: "guardian", fields: [f("proposalId", "proposalId")] },
  approveRotation: { code: 0x83, actor: "guardian", fields: [f("proposalId", "proposalId")] },
};

/** Reserved op-code ranges for issues that add operations later. */
export const RESERVED_OP_CODES = {
  governance: [0x60, 0x7f],
  guardian: [0x80, 0x8f],
} as const;

const BY_CODE = new Map<number, [SpellOperationType, Schema]>(
  (Object.entries(SPELL_SCHEMAS) as [SpellOperationType, Schema][]).map(([t, s]) => [s.code, [t, s]]),
);

/** The op code of an operation type. */
export const opCodeOf = (type: SpellOperationType): number => SPELL_SCHEMAS[type].code;

// ---------------------------------------------------------------- actor mapping

/**
 * Splits an engine Operation into what the spell carries and the actor (null for setPrice). Throws
 * SpellEncodeError for `setBaseRate` (test-only, no op code).
 */
export function fromOperation(op: Operation): { op: SpellOperation; actor: AccountId | null } {
  if (op.type === "setBaseRate") {
    throw new SpellEncodeError("unencodable", "setBaseRate is test-only and has no spell op code");
  }
  const schema = SPELL_SCHEMAS[op.type];
  const rest: Record<string, unknown> = { type: op.type };
  for (const field of schema.fields) {
    const value = (op as unknown as Record<string, unknown>)[field.name];
    if (value !== undefined) rest[field.name] = value;
  }
  const actor = schema.actor ? ((op as unknown as Record<string, unknown>)[schema.actor] as AccountId) : null;
  return { op: rest as SpellOperation, actor };
}

/** Rebuilds the engine Operation from a decoded spell operation and its actor (ignored by setPrice). */
export function toOperation(op: SpellOperation, actor: AccountId): Operation {
  const schema = SPELL_SCHEMAS[op.type];
  const ledger: Record<string, unknown> = { ...op };
  // The engine sees the ledger change only; the settlement module reads the custody fields.
  for (const name of CUSTODY_FIELDS) delete ledger[name];
  if (schema.actor === null) return ledger as unknown as Operation;
  return { ...ledger, [schema.actor]: actor } as unknown as Operation;
}

// ---------------------------------------------------------------- encoding

function encodeAccount(out: number[], value: unknown, field: string): void {
  try {
    assertAccount(value, field);
  } catch (e) {
    if (e instanceof ProtocolError) throw new SpellEncodeError("invalidAccount", e.message);
    throw e;
  }
  const s = value as string;
  out.push(s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

function encodeField(out: number[], field: Field, value: unknown): void {
  const bad = (why: string) => new SpellEncodeError("invalidField", `${field.name}: ${why}`);
  switch (field.kind) {
    case "sats": {
      if (typeof value !== "bigint" || value < 0n) throw bad("expected a non-negative bigint");
      if (value % SATOSHI !== 0n) {
        throw new SpellEncodeError(
          "notWholeSatoshis",
          `${field.name}: ${value} is not a whole number of satoshis (a multiple of 1e10)`,
        );
      }
      const sats = value / SATOSHI;
      if (sats > MAX_SATS) throw bad(`${sats} sats exceeds 21 million BTC`);
      writeLeb128(out, sats);
      return;
    }
    case "amount":
      if (typeof value !== "bigint" || value < 0n) throw bad("expected a non-negative bigint");
      if (value > MAX_AMOUNT) {
        throw new SpellEncodeError(
          "amountTooLarge",
          `${field.name}: ${value} exceeds the largest amount, 2^112 − 1`,
        );
      }
      writeLeb128(out, value);
      return;
    case "count":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
        throw bad(`expected an integer in [0, ${MAX_COUNT}]`);
      }
      writeLeb128(out, BigInt(value));
      return;
    case "account":
      encodeAccount(out, value, field.name);
      return;
    case "key":
      if (!(value instanceof Uint8Array) || value.length !== KEY_BYTES || (value[0] !== 2 && value[0] !== 3))
        throw bad("expected a 33-byte compressed key");
      out.push(...value);
      return;
    case "output":
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_OUTPUT_INDEX)
        throw bad(`expected an output index in [0, ${MAX_OUTPUT_INDEX}]`);
      writeLeb128(out, BigInt(value));
      return;
    case "payout":
      encodePayout(out, value, bad);
      return;
    case "accounts": {
      if (!Array.isArray(value) || value.length < 1 || value.length > MAX_LIST_LENGTH) {
        throw bad(`expected 1 to ${MAX_LIST_LENGTH} account ids`);
      }
      writeLeb128(out, BigInt(value.length));
      for (const [i, v] of value.entries()) encodeAccount(out, v, `${field.name}[${i}]`);
      return;
    }
    case "proposalId":
      if (typeof value !== "bigint" || value < 1n || value > MAX_PROPOSAL_ID)
        throw bad("expected a proposal id in [1, 2^64)");
      writeLeb128(out, value);
      return;
    case "support": {
      const code = SUPPORT.indexOf(value as Support);
      if (code < 0) throw bad('expected "against", "for" or "abstain"');
      out.push(code);
      return;
    }
    case "actions":
      if (!Array.isArray(value) || value.length < 1 || value.length > MAX_ACTIONS)
        throw bad(`expected 1 to ${MAX_ACTIONS} proposal actions`);
      out.push(value.length);
      for (const [i, action] of value.entries())
        encodeAction(out, action as GovAction, `${field.name}[${i}]`);
      return;
  }
}

/** A payout: script length (0–34, 0 = none), the script, max fee in sats (LEB128, 0 = none); not both absent. */
function encodePayout(out: number[], value: unknown, bad: (why: string) => SpellEncodeError): void {
  const p = value as SpellPayout | null;
  if (typeof p !== "object" || p === null) throw bad("expected { script?, maxFee? }");
  const { script, maxFee } = p;
  if (script === undefined && maxFee === undefined) throw bad("names neither a script nor a maximum fee");
  if (
    script !== undefined &&
    (!(script instanceof Uint8Array) || script.length < 1 || script.length > MAX_PAYOUT_SCRIPT_BYTES)
  )
    throw bad(`expected a script of 1 to ${MAX_PAYOUT_SCRIPT_BYTES} bytes`);
  if (maxFee !== undefined && (typeof maxFee !== "bigint" || maxFee < 1n || maxFee > MAX_SATS))
    throw bad("expected a maximum fee of 1 sat to 21 million BTC");
  out.push(script?.length ?? 0);
  if (script) out.push(...script);
  writeLeb128(out, maxFee ?? 0n);
}

const isBooleanParameter = (name: string) =>
  (PARAM_BOUNDS as Record<string, { kind: string } | undefined>)[name]?.kind === "boolean";

/** Appends hex the caller has checked (a key matched against its pattern, or a padded number). */
function pushBytes(out: number[], text: string): void {
  out.push(...hex.decode(text));
}

function pushUint256(out: number[], value: unknown, field: string): void {
  if (typeof value !== "bigint" || value < 0n || value >> 256n !== 0n)
    throw new SpellEncodeError("invalidField", `${field}: expected a 32-byte unsigned integer`);
  pushBytes(out, value.toString(16).padStart(64, "0"));
}

function encodeAction(out: number[], action: GovAction, field: string): void {
  const bad = (why: string) => new SpellEncodeError("invalidField", `${field}: ${why}`);
  const tag = ACTION_TAGS[action?.type as keyof typeof ACTION_TAGS];
  if (tag === undefined) throw bad(`unknown proposal action ${JSON.stringify(action?.type)}`);
  out.push(tag);
  switch (action.type) {
    case "setParameter": {
      const index = SETTABLE_PARAMETERS.indexOf(action.name);
      if (index < 0) throw bad(`unknown parameter ${JSON.stringify(action.name)}`);
      out.push(index);
      if (isBooleanParameter(action.name)) {
        if (typeof action.value !== "boolean") throw bad(`${action.name}: expected a boolean`);
        out.push(action.value ? 1 : 0);
      } else {
        if (typeof action.value !== "bigint" || action.value < 0n || action.value >> 256n !== 0n)
          throw bad(`${action.name}: expected a bigint in [0, 2^256)`);
        writeLeb128(out, action.value);
      }
      return;
    }
    case "rotateGuardians":
    case "rotateOracleKeys": {
      const keys = action.keys as unknown[];
      const max = action.type === "rotateGuardians" ? MAX_GUARDIANS : ORACLE_KEY_SLOTS;
      if (!Array.isArray(keys) || keys.length < 1 || keys.length > max)
        throw bad(`expected 1 to ${max} keys`);
      if (!Number.isInteger(action.threshold) || action.threshold < 0 || action.threshold > 255)
        throw bad("threshold: expected an integer in [0, 255]");
      out.push(action.threshold, keys.length);
      for (const [i, key] of keys.entries()) {
        if (action.type === "rotateGuardians") {
          if (typeof key !== "string" || !/^0[23][0-9a-f]{64}$/.test(key))
            throw bad(`keys[${i}]: expected a 33-byte compressed key in lowercase hex`);
          pushBytes(out, key);
        } else {
          if (!Array.isArray(key) || key.length !== 2) throw bad(`keys[${i}]: expected [x, y]`);
          pushUint256(out, key[0], `${field}.keys[${i}][0]`);
          pushUint256(out, key[1], `${field}.keys[${i}][1]`);
        }
      }
      return;
    }
    default:
      return;
  }
}

/** Encodes a spell. Throws SpellEncodeError when the content can't be represented or is too large. */
export function encodeSpell(spell: Spell): Uint8Array {
  if (spell.version !== SPELL_VERSION) {
    throw new SpellEncodeError("invalidField", `version: expected ${SPELL_VERSION}, got ${spell.version}`);
  }
  const schema = SPELL_SCHEMAS[spell.op?.type as SpellOperationType];
  if (!schema) throw new SpellEncodeError("unencodable", `no op code for ${JSON.stringify(spell.op?.type)}`);
  const op = spell.op as unknown as Record<string, unknown>;
  const out: number[] = [...SPELL_MAGIC, SPELL_VERSION, schema.code];
  const optional = schema.fields.filter((x) => x.optional);
  if (optional.length > 0) {
    let flags = 0;
    optional.forEach((x, i) => {
      if (op[x.name] !== undefined) flags |= 1 << i;
    });
    out.push(flags);
  }
  for (const field of schema.fields) {
    const value = op[field.name];
    if (value === undefined) {
      if (field.optional) continue;
      throw new SpellEncodeError("invalidField", `${field.name}: missing`);
    }
    encodeField(out, field, value);
  }
  if (!(spell.attestation instanceof Uint8Array) || spell.attestation.length > MAX_ATTESTATION_BYTES) {
    throw new SpellEncodeError(
      "invalidField",
      `attestation: expected at most ${MAX_ATTESTATION_BYTES} bytes`,
    );
  }
  writeLeb128(out, BigInt(spell.attestation.length));
  out.push(...spell.attestation);
  if (!(spell.proof instanceof Uint8Array) || spell.proof.length !== PROOF_BYTES) {
    throw new SpellEncodeError(
      "invalidField",
      `proof: expected ${PROOF_BYTES} bytes, got ${spell.proof?.length ?? "none"}`,
    );
  }
  out.push(...spell.proof);
  if (out.length > MAX_SPELL_BYTES) {
    throw new SpellEncodeError("tooLarge", `spell is ${out.length} bytes, the limit is ${MAX_SPELL_BYTES}`);
  }
  return Uint8Array.from(out);
}

/** Size in bytes of the encoded spell, without encoding it (throws like encodeSpell for bad input). */
export function spellSize(spell: Spell): number {
  return encodeSpell(spell).length;
}

// ---------------------------------------------------------------- decoding

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}
  byte(what: string): number {
    if (this.pos >= this.bytes.length) throw new SpellDecodeError("truncated", `missing ${what}`, this.pos);
    return this.bytes[this.pos++]!;
  }
  take(n: number, what: string): Uint8Array {
    if (this.pos + n > this.bytes.length) {
      throw new SpellDecodeError("truncated", `${what}: need ${n} bytes`, this.pos);
    }
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  leb(maxBits = 256): bigint {
    const [v, next] = readLeb128(this.bytes, this.pos, maxBits);
    this.pos = next;
    return v;
  }
}

function decodeAccount(r: Reader, field: string): AccountId {
  const at = r.pos;
  const len = r.byte(`${field} length`);
  if (len < 1 || len > 128) throw new SpellDecodeError("invalidAccount", `${field}: length ${len}`, at);
  const raw = r.take(len, field);
  for (const c of raw) {
    if (c < 0x21 || c > 0x7e)
      throw new SpellDecodeError("invalidAccount", `${field}: byte 0x${c.toString(16)}`, at);
  }
  return String.fromCharCode(...raw);
}

function decodeField(r: Reader, field: Field): unknown {
  const at = r.pos;
  switch (field.kind) {
    case "sats": {
      const sats = r.leb(64);
      if (sats > MAX_SATS)
        throw new SpellDecodeError("invalidField", `${field.name}: exceeds 21 million BTC`, at);
      return sats * SATOSHI;
    }
    case "amount": {
      const amount = r.leb(256);
      if (amount > MAX_AMOUNT)
        throw new SpellDecodeError(
          "amountTooLarge",
          `${field.name}: exceeds the largest amount, 2^112 − 1`,
          at,
        );
      return amount;
    }
    case "count":
      return Number(r.leb(32));
    case "account":
      return decodeAccount(r, field.name);
    case "key": {
      const key = r.take(KEY_BYTES, field.name);
      if (key[0] !== 2 && key[0] !== 3)
        throw new SpellDecodeError("invalidField", `${field.name}: prefix 0x${key[0]!.toString(16)}`, at);
      return key;
    }
    case "output": {
      const index = r.leb(32);
      if (index > BigInt(MAX_OUTPUT_INDEX))
        throw new SpellDecodeError("invalidField", `${field.name}: output ${index} is out of range`, at);
      return Number(index);
    }
    case "payout": {
      const len = r.byte(`${field.name} script length`);
      if (len > MAX_PAYOUT_SCRIPT_BYTES)
        throw new SpellDecodeError(
          "invalidField",
          `${field.name}: script of ${len} bytes, at most ${MAX_PAYOUT_SCRIPT_BYTES}`,
          at,
        );
      const script = len > 0 ? r.take(len, `${field.name} script`) : undefined;
      const maxFee = r.leb(64);
      if (maxFee > MAX_SATS)
        throw new SpellDecodeError("invalidField", `${field.name}: maximum fee exceeds 21 million BTC`, at);
      if (!script && maxFee === 0n)
        throw new SpellDecodeError(
          "invalidField",
          `${field.name}: names neither a script nor a maximum fee`,
          at,
        );
      return { ...(script ? { script } : {}), ...(maxFee > 0n ? { maxFee } : {}) };
    }
    case "accounts": {
      const n = Number(r.leb(16));
      if (n < 1 || n > MAX_LIST_LENGTH) {
        throw new SpellDecodeError(
          "invalidField",
          `${field.name}: ${n} entries, expected 1 to ${MAX_LIST_LENGTH}`,
          at,
        );
      }
      const owners: AccountId[] = [];
      for (let i = 0; i < n; i++) owners.push(decodeAccount(r, `${field.name}[${i}]`));
      return owners;
    }
    case "proposalId": {
      const id = r.leb(64);
      if (id < 1n) throw new SpellDecodeError("invalidField", `${field.name}: ids count from 1`, at);
      return id;
    }
    case "support": {
      const code = r.byte(field.name);
      const support = SUPPORT[code];
      if (support === undefined)
        throw new SpellDecodeError("invalidField", `${field.name}: value ${code}`, at);
      return support;
    }
    case "actions": {
      const n = r.byte(`${field.name} count`);
      if (n < 1 || n > MAX_ACTIONS) {
        throw new SpellDecodeError(
          "invalidField",
          `${field.name}: ${n} actions, expected 1 to ${MAX_ACTIONS}`,
          at,
        );
      }
      const actions: GovAction[] = [];
      for (let i = 0; i < n; i++) actions.push(decodeAction(r, `${field.name}[${i}]`));
      return actions;
    }
  }
}

const hexOf = (bytes: Uint8Array) => hex.encode(bytes);

function decodeAction(r: Reader, field: string): GovAction {
  const at = r.pos;
  const tag = r.byte(`${field} tag`);
  const bad = (why: string, pos = at) => new SpellDecodeError("invalidField", `${field}: ${why}`, pos);
  switch (tag) {
    case ACTION_TAGS.setParameter: {
      const index = r.byte(`${field} parameter`);
      const name = SETTABLE_PARAMETERS[index];
      if (name === undefined) throw bad(`unknown parameter index ${index}`);
      if (isBooleanParameter(name)) {
        const b = r.byte(`${field} value`);
        if (b > 1) throw bad(`boolean value ${b}`);
        return { type: "setParameter", name, value: b === 1 };
      }
      return { type: "setParameter", name, value: r.leb(256) };
    }
    case ACTION_TAGS.rotateGuardians:
    case ACTION_TAGS.rotateOracleKeys: {
      const guardians = tag === ACTION_TAGS.rotateGuardians;
      const threshold = r.byte(`${field} threshold`);
      const n = r.byte(`${field} key count`);
      if (n < 1 || n > (guardians ? MAX_GUARDIANS : ORACLE_KEY_SLOTS)) throw bad(`${n} keys`);
      if (guardians) {
        const keys: string[] = [];
        for (let i = 0; i < n; i++) {
          const key = r.take(33, `${field}.keys[${i}]`);
          if (key[0] !== 2 && key[0] !== 3) throw bad(`keys[${i}]: prefix 0x${key[0]!.toString(16)}`);
          keys.push(hexOf(key));
        }
        return { type: "rotateGuardians", keys, threshold };
      }
      const keys: [bigint, bigint][] = [];
      for (let i = 0; i < n; i++) {
        const x = BigInt(`0x${hexOf(r.take(32, `${field}.keys[${i}][0]`))}`);
        const y = BigInt(`0x${hexOf(r.take(32, `${field}.keys[${i}][1]`))}`);
        keys.push([x, y]);
      }
      return { type: "rotateOracleKeys", keys, threshold };
    }
    case ACTION_TAGS.pause:
      return { type: "pause" };
    case ACTION_TAGS.unpause:
      return { type: "unpause" };
    case ACTION_TAGS.shutdown:
      return { type: "shutdown" };
    default:
      throw bad(`unknown action tag 0x${tag.toString(16)}`);
  }
}

function decodeUnchecked(bytes: Uint8Array): Spell {
  if (!(bytes instanceof Uint8Array)) throw new SpellDecodeError("notBytes", "expected a Uint8Array");
  if (bytes.length > MAX_SPELL_BYTES) {
    throw new SpellDecodeError("tooLarge", `${bytes.length} bytes, the limit is ${MAX_SPELL_BYTES}`);
  }
  if (bytes.length < SPELL_MAGIC.length + 2 + 1 + PROOF_BYTES) {
    throw new SpellDecodeError("tooShort", `${bytes.length} bytes is shorter than any spell`);
  }
  for (let i = 0; i < SPELL_MAGIC.length; i++) {
    if (bytes[i] !== SPELL_MAGIC[i]) throw new SpellDecodeError("badMagic", "does not start with 'zkUSD'", i);
  }
  const r = new Reader(bytes, SPELL_MAGIC.length);
  const version = r.byte("version");
  if (version !== SPELL_VERSION) {
    throw new SpellDecodeError(
      "unsupportedVersion",
      `version ${version}, this client reads ${SPELL_VERSION}`,
      5,
    );
  }
  const code = r.byte("op code");
  const entry = BY_CODE.get(code);
  if (!entry)
    throw new SpellDecodeError("unknownOpCode", `op code 0x${code.toString(16).padStart(2, "0")}`, 6);
  const [type, schema] = entry;
  const op: Record<string, unknown> = { type };
  const optional = schema.fields.filter((x) => x.optional);
  let flags = 0;
  if (optional.length > 0) {
    const at = r.pos;
    flags = r.byte("flags");
    if (flags >> optional.length !== 0) {
      throw new SpellDecodeError("invalidField", `flags 0x${flags.toString(16)} set unknown bits`, at);
    }
  }
  for (const field of schema.fields) {
    if (field.optional && (flags & (1 << optional.indexOf(field))) === 0) continue;
    op[field.name] = decodeField(r, field);
  }
  const attAt = r.pos;
  const attLen = Number(r.leb(16));
  if (attLen > MAX_ATTESTATION_BYTES) {
    throw new SpellDecodeError(
      "invalidField",
      `attestation of ${attLen} bytes exceeds ${MAX_ATTESTATION_BYTES}`,
      attAt,
    );
  }
  const attestation = r.take(attLen, "attestation");
  const proof = r.take(PROOF_BYTES, "proof");
  if (r.pos !== bytes.length) {
    throw new SpellDecodeError("trailingBytes", `${bytes.length - r.pos} bytes after the proof`, r.pos);
  }
  return { version, op: op as SpellOperation, attestation, proof };
}

/** Decodes a spell. Throws SpellDecodeError, and only SpellDecodeError, on any malformed input. */
export function decodeSpell(bytes: Uint8Array): Spell {
  try {
    return decodeUnchecked(bytes);
  } catch (e) {
    if (e instanceof SpellDecodeError) throw e;
    // Defensive: any unforeseen failure is still reported as a decode error, never leaked.
    throw new SpellDecodeError("invalidField", `unexpected: ${(e as Error)?.message ?? String(e)}`);
  }
}

/** Decodes without throwing: a result union for callers that skip invalid spells (the indexer). */
export function tryDecodeSpell(
  bytes: Uint8Array,
): { ok: true; spell: Spell } | { ok: false; error: SpellDecodeError } {
  try {
    return { ok: true, spell: decodeSpell(bytes) };
  } catch (e) {
    return { ok: false, error: e as SpellDecodeError };
  }
}

/** True when the bytes start with the spell magic (a cheap filter over OP_RETURN payloads). */
export function hasSpellMagic(bytes: Uint8Array): boolean {
  if (bytes.length < SPELL_MAGIC.length) return false;
  return SPELL_MAGIC.every((b, i) => bytes[i] === b);
}

/** An all-zero proof slot, for spells whose proof is not made yet (a fee estimate, a preview). */
export const emptyProof = (): Uint8Array => new Uint8Array(PROOF_BYTES);
