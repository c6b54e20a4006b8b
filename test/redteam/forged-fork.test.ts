/**
 * Red team (issue 13, the client's chain reading): a lying Esplora reports at our head's height a
 * header whose parent is one of our own blocks further down, at another height. Walking its
 * headers back, the indexer compared each parent only with our block at the same height, never met
 * it, and "found" no fork above the start: it threw its whole state away and replayed from the start
 * height, for the price of one header's proof of work (free on regtest, a GPU-second on testnet4,
 * 43 s of CPU on signet: headers carry no signet solution). And a header alone, with no block
 * behind it, rolled blocks back before its block was ever checked (signet's block signature is in
 * the block). Failed on main a5f1c0e.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ChainDataError, displayHex, internal, sha256d } from "../../src/btc/block.ts";
import { encodeSpell } from "../../src/btc/spell.ts";
import { Indexer } from "../../src/indexer/index.ts";
import type { BlockNotice } from "../../src/indexer/indexer.ts";
import { heightPush } from "../../src/indexer/source.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../../src/protocol/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY } from "../indexer/chain.ts";
import { MemoryChain } from "../indexer/memoryChain.ts";

const T0 = 1_700_000_000;

beforeAll(() => initPoseidon());

/**
 * A regtest block on `prevHash` (display hex) at `height`: one coinbase naming its height (BIP34),
 * ground until the header meets regtest's target. `raw` is the whole block, or only the header and
 * no transaction (what a liar without a real block has).
 */
function forgedBlock(prevHash: string, height: number, whole: boolean) {
  const push = heightPush(height);
  const coinbase = Uint8Array.from([
    ...[1, 0, 0, 0],
    1,
    ...new Array(32).fill(0),
    ...[0xff, 0xff, 0xff, 0xff],
    push.length + 1,
    ...push,
    0x42,
    ...[0xff, 0xff, 0xff, 0xff],
    1,
    ...new Array(8).fill(0),
    1,
    0x51,
    ...[0, 0, 0, 0],
  ]);
  const raw = new Uint8Array(80);
  const view = new DataView(raw.buffer);
  view.setUint32(0, 0x20000000, true);
  raw.set(internal(prevHash), 4);
  raw.set(sha256d(coinbase), 36);
  view.setUint32(68, T0 + 100_000, true);
  view.setUint32(72, 0x207fffff, true);
  const target = 0x7fffffn << (8n * (0x20n - 3n));
  for (let nonce = 0; ; nonce++) {
    view.setUint32(76, nonce, true);
    const hash = displayHex(sha256d(raw));
    if (BigInt(`0x${hash}`) <= target)
      return {
        hash,
        hex: Buffer.from(raw).toString("hex"),
        raw: Uint8Array.from([...raw, ...(whole ? [1, ...coinbase] : [0])]),
      };
  }
}

/** The chain, but at `height` the hash of a forged header (only the header is served). */
class LyingChain extends MemoryChain {
  lie?: { height: number; hash: string; hex: string; raw: Uint8Array };
  tip?: number;
  override async tipHeight() {
    return this.tip ?? super.tipHeight();
  }
  override async blockHash(height: number) {
    return this.lie?.height === height ? this.lie.hash : super.blockHash(height);
  }
  override async blockRaw(hash: string) {
    return this.lie?.hash === hash ? this.lie.raw : super.blockRaw(hash);
  }
  override async blockHeader(hash: string) {
    return this.lie?.hash === hash ? this.lie.hex : super.blockHeader(hash);
  }
}

describe("red team: a forged header whose parent is one of our blocks at another height", () => {
  it.each([
    ["its parent below it (8 blocks down)", -8, 0, true, "brokenLink"],
    ["its parent above it (a tip 2 below our head, on our head)", 0, -2, true, "brokenLink"],
    // A fork's shape (the parent at the right height), but only a header: no block stands behind it.
    ["its parent right below it, only a header", -1, 0, false, "malformed"],
  ] as const)(
    "%s: refused as a lie, no rollback, no replay from the start",
    async (_, parentAt, tipAt, whole, code) => {
      const chain = new LyingChain(100, T0);
      const att = (round: number) => attest(60_000n * E18, T0 + 60 * round, BigInt(round)).bytes;
      const setPrice = (round: number) =>
        encodeSpell({
          version: 1,
          op: { type: "setPrice", price: 60_000n * E18 },
          attestation: att(round),
          proof: new Uint8Array(128),
        });
      // Blocks below the start height too: the headers a walk back reads, as on a real chain.
      for (let i = 0; i < 10; i++) chain.mine([]);
      chain.mine([{ actor: "ann", payload: setPrice(1) }]);
      const notices: BlockNotice[] = [];
      const indexer = await Indexer.open({
        store: new MemoryStore(),
        chain,
        startHeight: 112,
        params: { ...DEFAULT_PARAMS },
        verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
        custody: { ...TEST_CUSTODY, finality: 1 },
        onBlock: (n) => notices.push(n),
      });
      for (let i = 0; i < 12; i++) chain.mine([]);
      await indexer.sync();
      const head = indexer.head;
      expect(head.height).toBe(chain.height);
      const parent = await chain.blockHash(head.height + parentAt);
      chain.tip = head.height + tipAt;
      chain.lie = { height: chain.tip, ...forgedBlock(parent, chain.tip, whole) };
      notices.length = 0;
      const error = await indexer.sync().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChainDataError);
      expect((error as ChainDataError).code).toBe(code);
      expect(notices.filter((n) => n.type === "reorg")).toEqual([]);
      expect(indexer.head).toEqual(head);
      // The source tells the truth again: the sync goes on from where it was.
      chain.lie = undefined;
      chain.tip = undefined;
      chain.mine([]);
      await indexer.sync();
      expect(indexer.head.height).toBe(head.height + 1);
      expect(notices.filter((n) => n.type === "reorg")).toEqual([]);
    },
  );
});
