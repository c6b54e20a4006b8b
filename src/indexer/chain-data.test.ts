/**
 * Chain data verified, not trusted (issue 14), through the real Indexer over an in-memory regtest
 * chain with real bytes (test/indexer/memoryChain.ts): each lie a chain source can tell about a block
 * or a previous transaction stops the sync with a ChainDataError, writes nothing from that block, and
 * the same client reaches the clean root once the source tells the truth; a reorg deeper than the
 * undo window is recovered from by itself (checkpoint, else start height), saying so. The same lies
 * through HTTP against the bcoin devnet: test/indexer/lying-esplora.test.ts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY } from "../../test/indexer/chain.ts";
import { MemoryChain } from "../../test/indexer/memoryChain.ts";
import { ChainDataError, displayHex, encodeSpell, type SpellOperation, sha256d } from "../btc/index.ts";
import { DEFAULT_PARAMS, initPoseidon, serializeState } from "../protocol/index.ts";
import { createBackup, MemoryStore } from "../storage/index.ts";
import { type BlockNotice, type ChainSource, Indexer, type IndexerOptions } from "./index.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const cast = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });

let chain: MemoryChain;
/** The first block with spells. */
let target: number;

beforeAll(async () => {
  await initPoseidon();
  chain = new MemoryChain(100, T0);
  chain.mine([]);
  target = chain.mine([
    { actor: "alice", payload: cast({ type: "setPrice", price: PRICE }, attest(PRICE, T0 + 700, 1n).bytes) },
    { actor: "bob", payload: cast({ type: "transfer", to: "carol", amount: 0n }) },
    { actor: "alice", payload: cast({ type: "poolDeposit", amount: 0n }) },
  ]);
  const open = attest(PRICE, T0 + 1300, 2n).bytes;
  chain.mine([
    {
      actor: "alice",
      payload: cast({ type: "openVault", collateral: E18, borrow: 3_000n * E18, maxFee: E18 / 20n }, open),
    },
  ]);
  chain.mine([{ actor: "alice", payload: cast({ type: "transfer", to: "carol", amount: 7n * E18 }) }]);
});

const options = (source: ChainSource, store = new MemoryStore()): IndexerOptions => ({
  store,
  chain: source,
  startHeight: 101,
  params: { ...DEFAULT_PARAMS },
  verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
  custody: TEST_CUSTODY,
});

type Lie = (source: MemoryChain) => Partial<ChainSource>;
const flip = (b: Uint8Array, at: number) => {
  const out = b.slice();
  out[at < 0 ? out.length + at : at]! ^= 1;
  return out;
};
/** Serves `raw` for the block at `target` instead of the real one. */
const rawBlock =
  (edit: (p: { header: Uint8Array; txs: Uint8Array[] }) => Uint8Array): Lie =>
  (c) => ({
    blockRaw: async (hash) => (hash === (await c.blockHash(target)) ? edit(c.parts(hash)) : c.blockRaw(hash)),
  });
/** Points `/block-height/target` at a fabricated block (hash, header and bytes consistent). */
const fabricated =
  (edit: (header: Uint8Array) => Uint8Array): Lie =>
  (c) => {
    let fake: { hash: string; raw: Uint8Array } | undefined;
    const make = async () => {
      const parts = c.parts(await c.blockHash(target));
      const header = edit(parts.header);
      fake ??= { hash: displayHex(sha256d(header)), raw: MemoryChain.block(header, parts.txs) };
      return fake;
    };
    return {
      blockHash: async (h) => (h === target ? (await make()).hash : c.blockHash(h)),
      blockRaw: async (hash) => (hash === fake?.hash ? fake.raw : c.blockRaw(hash)),
      blockHeader: async (hash) =>
        hash === fake?.hash ? Buffer.from(fake.raw.subarray(0, 80)).toString("hex") : c.blockHeader(hash),
    };
  };
/** A header with another nonce: valid (`meets`) or not against regtest's target. */
const renonce = (header: Uint8Array, meets: boolean, prev?: Uint8Array) => {
  const out = header.slice();
  if (prev) out.set(prev, 4);
  for (let nonce = 1000; ; nonce++) {
    new DataView(out.buffer).setUint32(76, nonce, true);
    if (sha256d(out)[31]! < 0x80 === meets) return out;
  }
};

const LIES: [string, Lie][] = [
  ["an empty transaction list", rawBlock((p) => MemoryChain.block(p.header, []))],
  [
    "a transaction count of 0 with the transactions after it",
    (c) => ({
      blockRaw: async (hash) => {
        const raw = await c.blockRaw(hash);
        if (hash !== (await c.blockHash(target))) return raw;
        const out = raw.slice();
        out[80] = 0;
        return out;
      },
    }),
  ],
  [
    "a dropped spell transaction",
    rawBlock((p) => MemoryChain.block(p.header, [p.txs[0]!, ...p.txs.slice(2)])),
  ],
  [
    "reordered transactions",
    rawBlock((p) => MemoryChain.block(p.header, [p.txs[0]!, p.txs[2]!, p.txs[1]!, p.txs[3]!])),
  ],
  [
    "an altered spell",
    rawBlock((p) =>
      MemoryChain.block(
        p.header,
        p.txs.map((t, i) => (i === 1 ? flip(t, -6) : t)),
      ),
    ),
  ],
  ["a truncated block", rawBlock((p) => MemoryChain.block(p.header, p.txs).subarray(0, 200))],
  ["an altered header", rawBlock((p) => MemoryChain.block(flip(p.header, 40), p.txs))],
  ["a header whose hash misses its target", fabricated((h) => renonce(h, false))],
  [
    "a block that does not link to the stored head",
    fabricated((h) => renonce(h, true, new Uint8Array(32).fill(7))),
  ],
  ["another height's block", (c) => ({ blockHash: async (h) => c.blockHash(h === target ? h + 1 : h) })],
  [
    "an altered previous transaction",
    (c) => ({
      txRaw: async (txid) => flip(await c.txRaw(txid), -10),
    }),
  ],
];

describe("a lying chain source", () => {
  let clean: Indexer;
  beforeAll(async () => {
    clean = await Indexer.open(options(chain));
    await clean.sync();
    expect((await clean.store.spells()).length).toBeGreaterThan(0);
  });

  it.each(LIES)(
    "%s stops the sync, writes nothing from the block, and the client recovers",
    async (name, lie) => {
      const store = new MemoryStore();
      const source = Object.assign(Object.create(chain) as MemoryChain, lie(chain));
      const ix = await Indexer.open(options(source, store));
      const error = await ix.sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      // A ChainDataError naming the check; for the unlinked block, the walk back to a stored block
      // fails at the made-up parent (Esplora: 404).
      expect(error).toBeInstanceOf(name.includes("link") ? Error : ChainDataError);
      expect(ix.head.height).toBeLessThan(target);
      for (const b of await store.blocks()) expect(b.root).toBe((await clean.store.block(b.height))!.root);
      const honest = await Indexer.open(options(chain, store));
      await honest.sync();
      expect(honest.head).toEqual(clean.head);
    },
  );
});

describe("a reorg deeper than the undo window", () => {
  it("recovers from the newest checkpoint below the fork, else from the start height, and says so", async () => {
    const c = new MemoryChain(100, T0);
    const spell = (n: number) => ({
      actor: "alice",
      payload: cast({ type: "setPrice", price: PRICE }, attest(PRICE, T0 + 600 * n, BigInt(n)).bytes),
    });
    for (let i = 1; i <= 30; i++) c.mine(i % 5 === 0 ? [spell(i)] : []);
    const withCheckpoint = new MemoryStore();
    const a = await Indexer.open(options(c, withCheckpoint));
    const b = await Indexer.open(options(c));
    await a.sync({ maxBlocks: 10 });
    const checkpoint = a.head.height;
    await withCheckpoint.putBackup(
      { id: "auto-1-cp", createdAt: 1, height: checkpoint, root: a.head.root, bytes: 0 },
      await createBackup(withCheckpoint, 1),
    );
    await a.sync();
    await b.sync();
    const notices: BlockNotice[] = [];
    a.subscribe((n) => notices.push(n));
    b.subscribe((n) => notices.push(n));

    // 13 blocks replaced by 14 others (another spell in them): one more than the 12 kept for undo.
    const top = c.height;
    c.rewind(top - 13);
    for (let i = 0; i < 14; i++) c.mine(i === 3 ? [spell(21)] : [], 601);
    await a.sync();
    await b.sync();
    const fresh = await Indexer.open(options(c));
    await fresh.sync();
    expect(a.head).toEqual(fresh.head);
    expect(b.head).toEqual(fresh.head);
    const reorgs = notices.flatMap((n) => (n.type === "reorg" ? [n] : []));
    expect(reorgs.map((n) => [n.recovered, n.to])).toEqual([
      ["checkpoint", checkpoint],
      ["start", 100],
    ]);
    for (const n of reorgs)
      expect(n.message).toMatch(/13 blocks deep, more than the 12 blocks kept for undo/);
    // Within the window nothing changes: a 2-block reorg rolls back from the undo snapshots.
    c.rewind(c.height - 2);
    c.mine([], 602);
    c.mine([], 602);
    c.mine([]);
    await a.sync();
    const last = notices.filter((n) => n.type === "reorg").at(-1);
    expect(last).toEqual({ type: "reorg", from: c.height - 1, to: c.height - 3 });
  });
});

describe("blocks asked for ahead (a long replay)", () => {
  /** A source whose raw blocks take a moment, counting how many are asked for at once. */
  function slowSource(c: MemoryChain, lieAt?: number) {
    const seen = { inFlight: 0, most: 0, lies: 0 };
    const source: Partial<ChainSource> = {
      blockRaw: async (hash) => {
        seen.most = Math.max(seen.most, ++seen.inFlight);
        await new Promise((r) => setTimeout(r, 2));
        seen.inFlight--;
        const raw = await c.blockRaw(hash);
        if (lieAt === undefined || hash !== (await c.blockHash(lieAt)) || seen.lies > 0) return raw;
        seen.lies++; // once: a dropped spell transaction
        const p = c.parts(hash);
        return MemoryChain.block(p.header, [p.txs[0]!, ...p.txs.slice(2)]);
      },
    };
    return { source: Object.assign(Object.create(c) as MemoryChain, source), seen };
  }

  it("overlap the requests of the next final blocks, and a lie told ahead is refused at its turn", async () => {
    const c = new MemoryChain(100, T0);
    const spell = (n: number) => ({
      actor: "alice",
      payload: cast({ type: "setPrice", price: PRICE }, attest(PRICE, T0 + 600 * n, BigInt(n)).bytes),
    });
    for (let i = 1; i <= 40; i++) c.mine(i % 5 === 0 ? [spell(i)] : []);
    const clean = await Indexer.open(options(c));
    await clean.sync();

    // One request at a time without asking ahead; several at once with it, to the same root.
    const alone = slowSource(c);
    const one = await Indexer.open({ ...options(alone.source), blocksAhead: 0 });
    await one.sync();
    expect(alone.seen.most).toBe(1);
    expect(one.head).toEqual(clean.head);
    const ahead = slowSource(c);
    const many = await Indexer.open(options(ahead.source));
    await many.sync();
    expect(ahead.seen.most).toBeGreaterThan(1);
    expect(many.head).toEqual(clean.head);

    // A block with a spell, 25 under the tip: its bytes are first asked for ahead, and lie.
    const lieAt = 115;
    const lying = slowSource(c, lieAt);
    const store = new MemoryStore();
    const ix = await Indexer.open(options(lying.source, store));
    const error = await ix.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(lying.seen.lies).toBe(1);
    expect(error).toBeInstanceOf(ChainDataError);
    expect(ix.head.height).toBe(lieAt - 1);
    for (const b of await store.blocks()) expect(b.root).toBe((await clean.store.block(b.height))!.root);
    await ix.sync();
    expect(ix.head).toEqual(clean.head);
  });
});

describe("the state of a block that changes nothing", () => {
  it("is neither serialized again nor written again; a reorg over such blocks lands on the same root", async () => {
    const c = new MemoryChain(100, T0);
    const spell = (n: number) => ({
      actor: "alice",
      payload: cast({ type: "setPrice", price: PRICE }, attest(PRICE, T0 + 600 * n, BigInt(n)).bytes),
    });
    for (let i = 1; i <= 20; i++) c.mine(i % 5 === 0 ? [spell(i)] : []);
    const store = new MemoryStore();
    const commits: { changed: boolean; unchanged: boolean | undefined; state: unknown }[] = [];
    const commit = store.commitBlock.bind(store);
    store.commitBlock = (x) => {
      commits.push({ changed: x.block.changed, unchanged: x.unchanged, state: x.state });
      return commit(x);
    };
    const ix = await Indexer.open(options(c, store));
    await ix.sync();
    expect(commits.filter((x) => x.changed).length).toBe(4);
    commits.forEach((x, i) => {
      expect(x.unchanged).toBe(!x.changed);
      // The very object the block before wrote: no new serialization.
      if (i > 0 && !x.changed) expect(x.state).toBe(commits[i - 1]!.state);
    });
    // A reorg of 3 blocks (a spell among the new ones): the same root as a fresh client's.
    c.rewind(c.height - 3);
    c.mine([], 601);
    c.mine([spell(30)], 601);
    c.mine([], 601);
    await ix.sync();
    const fresh = await Indexer.open(options(c));
    await fresh.sync();
    expect(ix.head).toEqual(fresh.head);
    expect(serializeState(ix.state)).toEqual(serializeState(fresh.state));
  });
});
