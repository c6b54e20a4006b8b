// Raw blocks checked locally: real regtest blocks mined by bcoin (an independent implementation that
// also rebuilds the tampered ones), each lie a server could tell refused with the check it fails.
import { readFileSync } from "node:fs";
import bcoin from "bcoin";
import { describe, expect, it } from "vitest";
import {
  ChainDataError,
  checkProofOfWork,
  displayHex,
  parseBlock,
  parseHeader,
  parseTx,
  sha256d,
  targetOfBits,
} from "./block.ts";

const fixture = JSON.parse(readFileSync("test/fixtures/btc/regtest-blocks.json", "utf8")) as {
  block: { hash: string; height: number; raw: string; header: string };
  next: { hash: string; height: number; raw: string };
  tx: { txid: string; raw: string };
};
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const raw = bytes(fixture.block.raw);

/** The block re-serialized by bcoin after `edit` changed its transactions. */
function rebuilt(edit: (txs: Bcoin[]) => Bcoin[]): Uint8Array {
  const block = bcoin.Block.fromRaw(Buffer.from(raw));
  block.txs = edit(block.txs);
  block.refresh?.();
  return new Uint8Array(block.toRaw());
}

function refused(fn: () => unknown, code: ChainDataError["code"]): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ChainDataError);
    expect((e as ChainDataError).code).toBe(code);
    return (e as Error).message;
  }
  throw new Error(`expected ${code}, nothing was refused`);
}

describe("raw blocks", () => {
  it("parses a real segwit block: header hash, txids and wtxids as bcoin computes them", () => {
    const block = parseBlock(raw, fixture.block.hash);
    const theirs = bcoin.Block.fromRaw(Buffer.from(raw));
    expect(block.header.hash).toBe(fixture.block.hash);
    expect(block.header.bits).toBe(0x207fffff);
    expect(block.txs.map((t) => t.txid)).toEqual(theirs.txs.map((t: Bcoin) => t.txid()));
    expect(block.txs.map((t) => t.wtxid)).toEqual(theirs.txs.map((t: Bcoin) => t.wtxid()));
    expect(block.txs.map((t) => t.position)).toEqual([0, 1, 2, 3, 4]);
    expect(block.txs[0]!.coinbase).toBe(true);
    expect(block.txs.slice(1).every((t) => !t.coinbase && t.inputs[0]!.witness.length === 2)).toBe(true);
    expect(block.txs.map((t) => t.outputs.map((o) => o.sats))).toEqual(
      theirs.txs.map((t: Bcoin) => t.outputs.map((o: Bcoin) => BigInt(o.value))),
    );
    expect(parseHeader(bytes(fixture.block.header))).toEqual(block.header);
    checkProofOfWork(block.header, "regtest", fixture.block.height);
    const next = parseBlock(bytes(fixture.next.raw), fixture.next.hash);
    expect(next.header.prevHash).toBe(fixture.block.hash);
    expect(next.txs).toHaveLength(1);
  });

  it("refuses a block served for another hash, or with any header byte altered", () => {
    refused(() => parseBlock(raw, fixture.next.hash), "wrongHash");
    for (const at of [0, 4, 36, 68, 72, 76, 79]) {
      const altered = raw.slice();
      altered[at]! ^= 1;
      refused(() => parseBlock(altered, fixture.block.hash), "wrongHash");
    }
  });

  it("refuses an empty transaction list, a zero count, a truncation and trailing bytes", () => {
    refused(() => parseBlock(raw.subarray(0, 80), fixture.block.hash), "malformed");
    const zero = new Uint8Array(81);
    zero.set(raw.subarray(0, 80));
    expect(refused(() => parseBlock(zero, fixture.block.hash), "malformed")).toMatch(/no transactions/);
    for (const cut of [81, 200, raw.length - 1])
      refused(() => parseBlock(raw.subarray(0, cut), fixture.block.hash), "malformed");
    const longer = new Uint8Array(raw.length + 1);
    longer.set(raw);
    refused(() => parseBlock(longer, fixture.block.hash), "malformed");
  });

  it("refuses a dropped, reordered, added or altered transaction (merkle root)", () => {
    refused(
      () =>
        parseBlock(
          rebuilt((t) => [t[0], t[1], t[3], t[4]]),
          fixture.block.hash,
        ),
      "badMerkleRoot",
    );
    refused(
      () =>
        parseBlock(
          rebuilt((t) => [t[0], t[2], t[1], t[3], t[4]]),
          fixture.block.hash,
        ),
      "badMerkleRoot",
    );
    refused(
      () =>
        parseBlock(
          rebuilt((t) => [...t, t[1]]),
          fixture.block.hash,
        ),
      "badMerkleRoot",
    );
    // One output's value changed by one satoshi, the transaction re-serialized by bcoin.
    const altered = rebuilt((t) => {
      const tx = bcoin.MTX.fromTX(t[2]);
      tx.outputs[0].value += 1;
      return [t[0], t[1], tx.toTX(), t[3], t[4]];
    });
    refused(() => parseBlock(altered, fixture.block.hash), "badMerkleRoot");
  });

  it("refuses the duplicated-last-pair mutation that keeps the merkle root (CVE-2012-2459)", () => {
    // Five transactions: the last is paired with itself; six with it repeated hash the same.
    const mutated = rebuilt((t) => [...t, t[4]]);
    expect(refused(() => parseBlock(mutated, fixture.block.hash), "badMerkleRoot")).toMatch(/mutated/);
  });

  it("refuses altered witnesses (the coinbase's witness commitment)", () => {
    const altered = rebuilt((t) => {
      const tx = bcoin.MTX.fromTX(t[3]);
      const sig = Buffer.from(tx.inputs[0].witness.items[0]);
      sig[10]! ^= 1;
      tx.inputs[0].witness.items[0] = sig;
      return [t[0], t[1], t[2], tx.toTX(), t[4]];
    });
    refused(() => parseBlock(altered, fixture.block.hash), "badWitnessCommitment");
    const stripped = rebuilt((t) => {
      const tx = bcoin.MTX.fromTX(t[3]);
      tx.inputs[0].witness.items = [Buffer.alloc(72, 1), Buffer.alloc(33, 2)];
      return [t[0], t[1], t[2], tx.toTX(), t[4]];
    });
    refused(() => parseBlock(stripped, fixture.block.hash), "badWitnessCommitment");
  });

  it("refuses a block whose hash does not meet its target, or a target the network does not allow", () => {
    const header = raw.slice(0, 80);
    let hash = "";
    // Regtest's target is 2^255: about every other nonce fails it.
    for (let nonce = 2; ; nonce++) {
      new DataView(header.buffer).setUint32(76, nonce, true);
      hash = displayHex(sha256d(header));
      if (hash >= "8") break;
    }
    const block = parseHeader(header);
    expect(block.hash).toBe(hash);
    refused(() => checkProofOfWork(block, "regtest", fixture.block.height), "badProofOfWork");
    const real = parseHeader(raw.subarray(0, 80));
    for (const network of ["mainnet", "testnet4", "signet"] as const)
      expect(refused(() => checkProofOfWork(real, network, fixture.block.height), "badProofOfWork")).toMatch(
        /easier than/,
      );
    refused(() => checkProofOfWork({ ...real, bits: 0x1d00ffff }, "regtest", 1), "badProofOfWork");
    expect(targetOfBits(0x1d00ffff)).toBe(0xffffn << 208n);
    expect(targetOfBits(0x04923456)).toBeNull(); // negative (Core's arith_uint256 tests)
    expect(targetOfBits(0x01003456)).toBeNull(); // zero
    expect(targetOfBits(0xff123456)).toBeNull(); // overflow
    // Mainnet keeps the difficulty between retargets and changes it by at most 4x at one.
    const main = { ...real, hash: "00".repeat(32), bits: 0x1d00ffff };
    checkProofOfWork(main, "mainnet", 2017, main);
    refused(() => checkProofOfWork({ ...main, bits: 0x1c00ffff }, "mainnet", 2017, main), "badProofOfWork");
    checkProofOfWork({ ...main, bits: 0x1c7fffc0 }, "mainnet", 4032, main);
    refused(() => checkProofOfWork({ ...main, bits: 0x1c3fff00 }, "mainnet", 4032, main), "badProofOfWork");
  });

  it("checks a raw transaction hashes to the txid asked for", () => {
    const tx = parseTx(bytes(fixture.tx.raw), fixture.tx.txid);
    expect(tx.txid).toBe(fixture.tx.txid);
    expect(tx.inputs[0]!.witness).toHaveLength(2);
    refused(() => parseTx(bytes(fixture.tx.raw), fixture.block.hash), "wrongTx");
    const altered = bytes(fixture.tx.raw);
    altered[0]! ^= 1;
    refused(() => parseTx(altered, fixture.tx.txid), "wrongTx");
    refused(() => parseTx(bytes(fixture.tx.raw).subarray(0, 50), fixture.tx.txid), "malformed");
  });
});
