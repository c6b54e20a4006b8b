/**
 * Who acts (docs/decisions.md §2a rule 4): the actor of a spell is the owner of its transaction's first input,
 * read from the confirmed previous output, never from data a client sends. The input's signature
 * must commit to the whole transaction (SIGHASH_ALL; Taproot: key path, default sighash), else
 * `actorSighash`. A P2WPKH or P2SH-P2WPKH actor's witness key, or a Taproot actor's output key,
 * is what authorizes a vault owner key (`authorizesOwnerKey`); other input types can act on the
 * ledger but cannot own a vault.
 */
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { p2tr, Script } from "@scure/btc-signer";
import { type BtcNetworkName, scriptToAddress } from "../btc/network.ts";
import type { AccountId } from "../protocol/index.ts";
import { type CustodyReason, custodyReason } from "./reasons.ts";
import type { ChainTxOutput, TxShape } from "./tx.ts";

export type ActorKind = "p2wpkh" | "p2sh-p2wpkh" | "p2tr" | "other";

export interface Actor {
  /** The account id: the address of the previous output's script. */
  account: AccountId;
  kind: ActorKind;
  /** P2WPKH / P2SH-P2WPKH: the 33-byte key in the witness (it hashes to the program). */
  witnessKey?: Uint8Array;
  /** P2TR: the 32-byte output key. */
  outputKey?: Uint8Array;
}

export type ActorResult = { ok: true; actor: Actor } | { ok: false; reason: CustodyReason };

const SIGHASH_ALL = 0x01;
const hash160 = (b: Uint8Array) => ripemd160(sha256(b));
const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** P2WPKH program (20 bytes) of a script, if it is one. */
const wpkhProgram = (s: Uint8Array) =>
  s.length === 22 && s[0] === 0x00 && s[1] === 0x14 ? s.subarray(2) : undefined;
const shHash = (s: Uint8Array) =>
  s.length === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87 ? s.subarray(2, 22) : undefined;
const trKey = (s: Uint8Array) =>
  s.length === 34 && s[0] === 0x51 && s[1] === 0x20 ? s.subarray(2) : undefined;

/** A DER ECDSA signature with its sighash byte (the shape any signature push has). */
const looksLikeEcdsaSig = (b: Uint8Array) => b.length >= 9 && b.length <= 73 && b[0] === 0x30;

/** Pushed items of a scriptSig; undefined if it is not push-only. */
function pushes(scriptSig: Uint8Array): Uint8Array[] | undefined {
  if (scriptSig.length === 0) return [];
  try {
    const ops = Script.decode(scriptSig);
    const out: Uint8Array[] = [];
    for (const op of ops) {
      if (op instanceof Uint8Array) out.push(op);
      else if (op === 0 || op === "OP_0") out.push(new Uint8Array(0));
      else return undefined;
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * Reads the actor of a transaction (its first input) given the output that input spends, as the
 * confirmed previous transaction says (undefined: none, e.g. a coinbase). Never throws.
 */
export function readActor(
  tx: Pick<TxShape, "inputs">,
  prevout: ChainTxOutput | undefined,
  network: BtcNetworkName,
): ActorResult {
  const input = tx.inputs[0];
  const bad = (code: Parameters<typeof custodyReason>[0], why: string): ActorResult => ({
    ok: false,
    reason: custodyReason(code, why),
  });
  if (!input || !prevout) return bad("noActor", "the first input has no confirmed previous output");
  const script = prevout.script;
  const account = scriptToAddress(script, network);
  if (!account) return bad("noActor", "the first input's previous output has no address");
  const { witness } = input;

  const keyHashWitness = (program: Uint8Array): ActorResult | Uint8Array => {
    if (witness.length !== 2 || witness[1]!.length !== 33)
      return bad("actorWitness", "a key-hash input's witness is a signature and a 33-byte key");
    if (!eq(hash160(witness[1]!), program))
      return bad("actorWitness", "the witness key does not hash to the previous output's program");
    if (witness[0]!.at(-1) !== SIGHASH_ALL)
      return bad("actorSighash", "the actor's signature is not SIGHASH_ALL");
    return witness[1]!;
  };

  const wpkh = wpkhProgram(script);
  if (wpkh) {
    if (input.scriptSig.length !== 0) return bad("actorWitness", "a P2WPKH input has an empty scriptSig");
    const key = keyHashWitness(wpkh);
    if (!(key instanceof Uint8Array)) return key;
    return { ok: true, actor: { account, kind: "p2wpkh", witnessKey: key } };
  }

  const sh = shHash(script);
  if (sh) {
    const items = pushes(input.scriptSig);
    const redeem = items?.length === 1 ? items[0]! : undefined;
    const nested = redeem && eq(hash160(redeem), sh) ? wpkhProgram(redeem) : undefined;
    if (nested) {
      const key = keyHashWitness(nested);
      if (!(key instanceof Uint8Array)) return key;
      return { ok: true, actor: { account, kind: "p2sh-p2wpkh", witnessKey: key } };
    }
    // Any other P2SH (legacy or nested P2WSH): every signature commits with SIGHASH_ALL.
    return allSigsAll([...(items ?? []), ...witness], account);
  }

  const tr = trKey(script);
  if (tr) {
    // BIP341: an annex is the last item, starting 0x50, when there are at least two items.
    const items = witness.length >= 2 && witness.at(-1)![0] === 0x50 ? witness.slice(0, -1) : witness;
    if (items.length !== 1) return bad("actorSighash", "a Taproot actor must sign by key path");
    const sig = items[0]!;
    if (!(sig.length === 64 || (sig.length === 65 && sig[64] === SIGHASH_ALL)))
      return bad("actorSighash", "the actor's Taproot signature is not SIGHASH_DEFAULT or SIGHASH_ALL");
    return { ok: true, actor: { account, kind: "p2tr", outputKey: tr } };
  }

  // P2PKH, P2WSH and the rest act on the ledger only; their signatures must still be SIGHASH_ALL.
  return allSigsAll([...(pushes(input.scriptSig) ?? []), ...witness], account);
}

function allSigsAll(items: Uint8Array[], account: AccountId): ActorResult {
  for (const item of items) {
    if (looksLikeEcdsaSig(item) && item.at(-1) !== SIGHASH_ALL)
      return { ok: false, reason: custodyReason("actorSighash", "an actor signature is not SIGHASH_ALL") };
  }
  return { ok: true, actor: { account, kind: "other" } };
}

/**
 * Does the actor's signature authorize `ownerKey` (33-byte compressed) as a vault owner key?
 * P2WPKH / P2SH-P2WPKH: it is the witness key. P2TR: it is the internal key P whose BIP86 tweak
 * (no script tree) is the output key (P's parity byte is not significant: x-only keys).
 */
export function authorizesOwnerKey(actor: Actor, ownerKey: Uint8Array): boolean {
  if (actor.witnessKey) return eq(actor.witnessKey, ownerKey);
  if (actor.outputKey && ownerKey.length === 33) {
    try {
      return eq(p2tr(ownerKey.subarray(1)).tweakedPubkey, actor.outputKey);
    } catch {
      return false;
    }
  }
  return false;
}
