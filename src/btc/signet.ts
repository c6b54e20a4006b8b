/**
 * BIP325 signet block solutions. On signet, proof of work is cheap by design (a laptop mines a block
 * at signet's limit in under a minute); what makes a block signet's is the signature of the network's
 * signers, carried in the coinbase's witness commitment output. Without this check a lying Esplora
 * could serve any block it mined itself. Follows Bitcoin Core `src/signet.cpp`.
 *
 * Supported challenges: bare `m`-of-`n` CHECKMULTISIG (the default signet's 1-of-2 is one) and
 * `OP_TRUE`; any other challenge script is refused (docs/bitcoin.md, "Signet").
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import { CompactSize } from "@scure/btc-signer";
import {
  type ChainBlock,
  ChainDataError,
  internal,
  merkleRoot,
  type ParsedTx,
  sha256d,
  witnessCommitmentIndex,
} from "./block.ts";

/** The default signet's challenge (Bitcoin Core `chainparams.cpp`): 1-of-2 bare multisig. */
export const DEFAULT_SIGNET_CHALLENGE = hexToBytes(
  "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae",
);
const SIGNET_GENESIS = "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6";
const SIGNET_HEADER = Uint8Array.of(0xec, 0xc7, 0xda, 0xa2);

const OP_0 = 0x00;
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_PUSHDATA4 = 0x4e;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_CHECKMULTISIG = 0xae;
const SIGHASH_ALL = 1;

interface ScriptOp {
  opcode: number;
  /** Present for push opcodes (OP_0 and the data pushes). */
  data?: Uint8Array;
}

/** A script's operations up to its end or its first malformed one (as Core's `GetOp` loop). */
function scriptOps(script: Uint8Array): { ops: ScriptOp[]; complete: boolean } {
  const ops: ScriptOp[] = [];
  let at = 0;
  while (at < script.length) {
    const opcode = script[at++]!;
    let size = -1;
    if (opcode < OP_PUSHDATA1) size = opcode;
    else if (opcode === OP_PUSHDATA1) size = at + 1 <= script.length ? script[at++]! : -2;
    else if (opcode === OP_PUSHDATA2) {
      size = at + 2 <= script.length ? script[at]! | (script[at + 1]! << 8) : -2;
      at += 2;
    } else if (opcode === OP_PUSHDATA4) {
      size =
        at + 4 <= script.length
          ? new DataView(script.buffer, script.byteOffset + at, 4).getUint32(0, true)
          : -2;
      at += 4;
    }
    if (size === -2 || at + Math.max(size, 0) > script.length) return { ops, complete: false };
    if (size < 0) ops.push({ opcode });
    else {
      ops.push({ opcode, data: script.subarray(at, at + size) });
      at += size;
    }
  }
  return { ops, complete: true };
}

/** Core's `CScript << bytes`: the shortest push opcode for the length (no OP_N for one byte). */
function pushOf(data: Uint8Array): Uint8Array {
  const n = data.length;
  const head =
    n < OP_PUSHDATA1
      ? [n]
      : n <= 0xff
        ? [OP_PUSHDATA1, n]
        : n <= 0xffff
          ? [OP_PUSHDATA2, n & 0xff, n >> 8]
          : [OP_PUSHDATA4, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
  return concatBytes(Uint8Array.from(head), data);
}

const u32le = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};
const u64le = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
};
const varBytes = (b: Uint8Array) => concatBytes(CompactSize.encode(BigInt(b.length)), b);

interface TxFields {
  version: number;
  inputs: { prevout: Uint8Array; scriptSig: Uint8Array; sequence: number }[];
  outputs: { sats: bigint; script: Uint8Array }[];
  locktime: number;
}

/** The serialization a txid hashes (no witness). */
function serializeNoWitness(tx: TxFields): Uint8Array {
  return concatBytes(
    u32le(tx.version),
    CompactSize.encode(BigInt(tx.inputs.length)),
    ...tx.inputs.map((i) => concatBytes(i.prevout, varBytes(i.scriptSig), u32le(i.sequence))),
    CompactSize.encode(BigInt(tx.outputs.length)),
    ...tx.outputs.map((o) => concatBytes(u64le(o.sats), varBytes(o.script))),
    u32le(tx.locktime),
  );
}

const fieldsOf = (tx: ParsedTx): TxFields => ({
  version: tx.version,
  inputs: tx.inputs.map((i) => ({
    prevout: concatBytes(internal(i.prevTxid), u32le(i.vout)),
    scriptSig: i.scriptSig,
    sequence: i.sequence,
  })),
  outputs: tx.outputs.map((o) => ({ sats: o.sats, script: o.script })),
  locktime: tx.locktime,
});

/** A solution's scriptSig and witness stack, or null when its bytes do not parse exactly. */
function parseSolution(bytes: Uint8Array): { scriptSig: Uint8Array; witness: Uint8Array[] } | null {
  let at = 0;
  const size = (): number | null => {
    if (at >= bytes.length) return null;
    const first = bytes[at]!;
    const width = first < 0xfd ? 0 : first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    if (at + 1 + width > bytes.length) return null;
    let n = width === 0 ? first : 0;
    for (let k = width; k >= 1; k--) n = n * 256 + bytes[at + k]!;
    at += 1 + width;
    return n <= bytes.length ? n : null;
  };
  const take = (n: number | null): Uint8Array | null => {
    if (n === null || at + n > bytes.length) return null;
    at += n;
    return bytes.subarray(at - n, at);
  };
  const scriptSig = take(size());
  const count = size();
  if (scriptSig === null || count === null) return null;
  const witness: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const item = take(size());
    if (item === null) return null;
    witness.push(item);
  }
  return at === bytes.length ? { scriptSig, witness } : null;
}

/** Core `CheckSignetBlockSolution`: throws ChainDataError unless the signers signed this block. */
export function checkSignetSolution(block: ChainBlock, challenge = DEFAULT_SIGNET_CHALLENGE): void {
  const { header } = block;
  if (header.hash === SIGNET_GENESIS) return;
  const refusal = (why: string) =>
    new ChainDataError("badSignetSolution", `signet block ${header.hash}: ${why}`);
  const coinbase = fieldsOf(block.txs[0]!);
  const at = witnessCommitmentIndex(block.txs[0]!) ?? -1;
  if (at < 0) throw refusal("no witness commitment (a signet block must carry one)");
  // Take the solution out of the commitment script: the first push that starts with the signet
  // header and carries more; the script is re-encoded as Core re-encodes it.
  const { ops } = scriptOps(coinbase.outputs[at]!.script);
  let solution: Uint8Array | null = null;
  const cleared = ops.map((op) => {
    if (op.data === undefined || op.data.length === 0) return Uint8Array.of(op.opcode);
    if (
      solution === null &&
      op.data.length > SIGNET_HEADER.length &&
      SIGNET_HEADER.every((b, i) => op.data![i] === b)
    ) {
      solution = op.data.subarray(SIGNET_HEADER.length);
      return pushOf(SIGNET_HEADER);
    }
    return pushOf(op.data);
  });
  let scriptSig: Uint8Array = new Uint8Array(0);
  let witness: Uint8Array[] = [];
  if (solution !== null) {
    coinbase.outputs[at] = { ...coinbase.outputs[at]!, script: concatBytes(...cleared) };
    const parsed = parseSolution(solution);
    if (parsed === null) throw refusal("its solution does not parse");
    ({ scriptSig, witness } = parsed);
  }
  const leaves = [sha256d(serializeNoWitness(coinbase)), ...block.txs.slice(1).map((t) => internal(t.txid))];
  const signetMerkle = merkleRoot(leaves).root;
  const blockData = concatBytes(
    u32le(header.version),
    internal(header.prevHash),
    signetMerkle,
    u32le(header.time),
  );
  const toSpend: TxFields = {
    version: 0,
    inputs: [
      {
        prevout: concatBytes(new Uint8Array(32), u32le(0xffffffff)),
        scriptSig: concatBytes(Uint8Array.of(OP_0), pushOf(blockData)),
        sequence: 0,
      },
    ],
    outputs: [{ sats: 0n, script: challenge }],
    locktime: 0,
  };
  const toSign = (scriptSigOfInput: Uint8Array): TxFields => ({
    version: 0,
    inputs: [
      {
        prevout: concatBytes(sha256d(serializeNoWitness(toSpend)), u32le(0)),
        scriptSig: scriptSigOfInput,
        sequence: 0,
      },
    ],
    outputs: [{ sats: 0n, script: Uint8Array.of(OP_RETURN) }],
    locktime: 0,
  });
  if (
    !verifyChallenge(challenge, scriptSig, witness, (hashType) =>
      // Legacy signature hash (the challenge is a bare script): the input's script replaced by the
      // script code, the hash type appended.
      sha256d(concatBytes(serializeNoWitness(toSign(challenge)), u32le(hashType))),
    )
  )
    throw refusal("the signet signers did not sign it (no valid block solution)");
}

/**
 * Runs `scriptSig` against `challenge` for the two challenge shapes supported (OP_TRUE, bare m-of-n
 * CHECKMULTISIG) under Core's signet flags (DERSIG, NULLDUMMY, witness: no witness on a bare script).
 */
function verifyChallenge(
  challenge: Uint8Array,
  scriptSig: Uint8Array,
  witness: Uint8Array[],
  sighash: (hashType: number) => Uint8Array,
): boolean {
  if (witness.length > 0) return false; // witness data on a non-witness script
  const sig = scriptOps(scriptSig);
  if (!sig.complete || sig.ops.some((op) => op.data === undefined)) return false; // push-only
  if (challenge.length === 1 && challenge[0] === OP_1) return true;
  const ch = scriptOps(challenge);
  const ops = ch.ops;
  const isN = (op: ScriptOp | undefined) =>
    op !== undefined && op.data === undefined && op.opcode >= OP_1 && op.opcode <= OP_16;
  const last = ops[ops.length - 1];
  if (!ch.complete || ops.length < 4 || last?.opcode !== OP_CHECKMULTISIG || last.data !== undefined)
    return false;
  const mOp = ops[0];
  const nOp = ops[ops.length - 2];
  if (!isN(mOp) || !isN(nOp)) return false;
  const m = mOp!.opcode - OP_1 + 1;
  const n = nOp!.opcode - OP_1 + 1;
  const keys = ops.slice(1, -2);
  if (keys.length !== n || m > n || keys.some((k) => k.data === undefined)) return false;
  const items = sig.ops.map((op) => op.data!);
  // NULLDUMMY: CHECKMULTISIG's extra stack item must be empty.
  if (items.length !== m + 1 || items[0]!.length !== 0) return false;
  const sigs = items.slice(1);
  // CHECKMULTISIG: signatures match keys in order; each key is tried once.
  let k = 0;
  for (const s of sigs) {
    if (s.length < 9 || s[s.length - 1] !== SIGHASH_ALL) return false;
    const hash = sighash(SIGHASH_ALL);
    const der = s.subarray(0, -1);
    while (k < keys.length && !verifies(der, hash, keys[k]!.data!)) k++;
    if (k === keys.length) return false;
    k++;
  }
  return true;
}

function verifies(der: Uint8Array, hash: Uint8Array, key: Uint8Array): boolean {
  try {
    return secp256k1.verify(der, hash, key, { prehash: false, format: "der", lowS: false });
  } catch {
    return false;
  }
}
