/**
 * The hostile-spell campaign of issue 14 (test support, shared by test/indexer/fuzz.test.ts and
 * bench/fuzz.bench.ts). Spells of every op kind with realistic, boundary and oversized amounts
 * (hand-spliced past the encoder's bound, up to 2^256 − 1), random bytes behind the magic,
 * truncations and byte-level mutations of valid spells, spells without an actor, bad attestations and
 * bad proofs go through the real Indexer over an in-memory chain (test/indexer/memoryChain.ts), block
 * by block, each block generated against the state the indexer reached. Afterwards the accepted spells
 * are replayed on the engine directly (decoded again from the chain's bytes, time re-derived from
 * their attestation): its root must equal the indexer's. A sync that throws is a halt.
 * Deterministic for a seed.
 */
import {
  decodeSpell,
  encodeSpell,
  SPELL_SCHEMAS,
  type Spell,
  type SpellOperation,
  toOperation,
} from "../../src/btc/spell.ts";
import { Indexer } from "../../src/indexer/indexer.ts";
import { PRICED, type VerifierConfig } from "../../src/indexer/verify.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import {
  apply,
  cloneState,
  createGenesisState,
  DEFAULT_PARAMS,
  deserializeCustody,
  FIELD_MODULUS,
  MAX_AMOUNT,
  ONE,
  type Params,
  SETTABLE_PARAMETERS,
  serializeCustody,
  stateRoot,
} from "../../src/protocol/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { proveSpell } from "../../src/zk/node.ts";
import { attest, TEST_CUSTODY, testVaultScript } from "./chain.ts";
import { type ChainTx, MemoryChain } from "./memoryChain.ts";

export interface FuzzOptions {
  /** Hostile spells to send (the few setup spells come on top). */
  spells: number;
  seed: number;
  verifier: VerifierConfig;
  /** Spells per block (default 250). */
  perBlock?: number;
  /** Share of price-valued spells that carry the current valid attestation (each costs a signature check). */
  attested?: number;
  /** Called after every block. */
  progress?: (sent: number) => void;
}

export interface FuzzResult {
  spells: number;
  blocks: number;
  accepted: number;
  /** Rejections by reason code (and decoder or engine detail). */
  rejected: Record<string, number>;
  /** Spells sent per operation kind that decoded (the rest under "undecodable"). */
  kinds: Record<string, number>;
  /** Accepted spells per operation kind. */
  acceptedKinds: Record<string, number>;
  /** Syncs that threw (each would stop a real client on that block). */
  halts: string[];
  root: string;
  replayRoot: string;
  seconds: number;
}

/** mulberry32: a small deterministic generator (not for anything but tests). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  const bits = (n: number) => {
    let v = 0n;
    for (let i = 0; i < n; i += 16) v = (v << 16n) | BigInt(int(0, 0xffff));
    return v & ((1n << BigInt(n)) - 1n);
  };
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(0, 255));
  return { next, int, pick, bits, bytes, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const SATOSHI = 10n ** 10n;
const MAX_SATS = 21_000_000n * 100_000_000n;
/** Actor names on the simulated chain (each a P2WPKH key there) and their account ids (addresses). */
const T0 = 1_700_000_000;
const NAMES = Array.from({ length: 10 }, (_, i) => `fuzz actor ${i}`);
const ACTORS = NAMES.map((n) => MemoryChain.address(n));
/** Amounts at and around every bound a spell's integer meets. */
const BOUNDARY = [
  0n,
  1n,
  SATOSHI - 1n,
  SATOSHI,
  ONE - 1n,
  ONE,
  ONE + 1n,
  2n ** 64n - 1n,
  2n ** 64n,
  MAX_AMOUNT - 1n,
  MAX_AMOUNT,
  MAX_AMOUNT + 1n,
  2n ** 128n - 1n,
  2n ** 128n,
  FIELD_MODULUS - 1n,
  FIELD_MODULUS,
  FIELD_MODULUS + 1n,
  2n ** 255n,
  2n ** 256n - 1n,
];
const OP_TYPES = Object.keys(SPELL_SCHEMAS) as SpellOperation["type"][];
const leb = (value: bigint): number[] => {
  const out: number[] = [];
  let v = value;
  do {
    out.push(Number(v & 0x7fn) | (v >> 7n ? 0x80 : 0));
    v >>= 7n;
  } while (v);
  return out;
};

/** What the generator knows of the chain's state when it builds a block. */
interface View {
  price: bigint;
  /** The current valid attestation (of `price`) and its timestamp. */
  attestation: Uint8Array;
  proposals: number;
}

class Generator {
  /** Oversized amounts travel as unique small sentinels through encodeSpell, then are spliced in. */
  private oversized: [bigint, bigint][] = [];

  constructor(
    private readonly r: Rng,
    private readonly attested: number,
  ) {}

  amount(): bigint {
    const r = this.r;
    const x = r.next();
    let v: bigint;
    if (x < 0.55) v = (BigInt(r.int(1, 200_000)) * ONE) / 10n ** BigInt(r.int(0, 4));
    else if (x < 0.85) v = r.pick(BOUNDARY);
    else v = r.bits(r.int(1, 256));
    return this.encodable(v);
  }

  private encodable(v: bigint): bigint {
    if (v <= MAX_AMOUNT) return v;
    const sentinel = 0x2a_5a5a_5a5a_5a5an + BigInt(this.oversized.length);
    this.oversized.push([sentinel, v]);
    return sentinel;
  }

  sats(): bigint {
    const r = this.r;
    const x = r.next();
    if (x < 0.7) return BigInt(r.int(1, 500_000_000)) * SATOSHI;
    return r.pick([0n, 1n, 100_000_000n, MAX_SATS, MAX_SATS - 1n]) * SATOSHI;
  }

  account(): string {
    const r = this.r;
    if (r.chance(0.9)) return r.pick(ACTORS);
    return Array.from({ length: r.int(1, 128) }, () => String.fromCharCode(r.int(0x21, 0x7e))).join("");
  }

  proposalId(view: View): bigint {
    const r = this.r;
    if (r.chance(0.8)) return BigInt(r.int(1, Math.max(1, view.proposals + 1)));
    return r.pick([1n, 2n ** 32n, 2n ** 64n - 1n]);
  }

  op(view: View): SpellOperation {
    const r = this.r;
    const type = r.pick(OP_TYPES);
    const opt = (v: () => bigint) => (r.chance(0.5) ? v() : undefined);
    const clean = <T extends object>(o: T): T =>
      Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
    switch (type) {
      case "setPrice":
        return { type, price: r.chance(0.3) ? view.price : this.amount() };
      case "openVault":
        return clean({
          type,
          collateral: this.sats(),
          borrow: this.amount(),
          maxFee: opt(() => this.amount()),
        });
      case "adjustVault": {
        const fields = {
          depositCollateral: opt(() => this.sats()),
          withdrawCollateral: opt(() => this.sats()),
          borrow: opt(() => this.amount()),
          repay: opt(() => this.amount()),
          maxFee: opt(() => this.amount()),
        };
        return clean({ type, ...fields });
      }
      case "transfer":
        return { type, to: this.account(), amount: this.amount() };
      case "approve":
        return { type, spender: this.account(), amount: r.chance(0.1) ? MAX_AMOUNT : this.amount() };
      case "transferFrom":
        return { type, from: this.account(), to: this.account(), amount: this.amount() };
      case "poolDeposit":
      case "poolWithdraw":
        return { type, amount: this.amount() };
      case "liquidate":
        return { type, owner: this.account() };
      case "liquidateBatch":
        return { type, count: r.chance(0.8) ? r.int(0, 20) : r.pick([0xffff_ffff, 2 ** 31]) };
      case "liquidateList":
        return {
          type,
          owners: Array.from({ length: r.int(1, r.chance(0.9) ? 5 : 12) }, () => this.account()),
        };
      case "redeem":
        return clean({ type, amount: this.amount(), maxFee: opt(() => this.amount()) });
      case "propose":
        return { type, actions: Array.from({ length: r.int(1, 3) }, () => this.action()) };
      case "vote":
        return {
          type,
          proposalId: this.proposalId(view),
          support: r.pick(["for", "against", "abstain"] as const),
        };
      case "delegate":
        return { type, delegatee: this.account() };
      case "queue":
      case "execute":
      case "cancel":
      case "veto":
      case "approveRotation":
        return { type, proposalId: this.proposalId(view) };
      default:
        return { type } as SpellOperation;
    }
  }

  private action() {
    const r = this.r;
    const x = r.next();
    if (x < 0.5) {
      const name = r.pick(SETTABLE_PARAMETERS);
      const value =
        name === "utilizationPremiumEnabled"
          ? r.chance(0.5)
          : r.chance(0.5)
            ? r.pick(BOUNDARY)
            : BigInt(r.int(0, 1_000_000)) * (r.chance(0.5) ? ONE / 1000n : 1n);
      return { type: "setParameter" as const, name, value };
    }
    if (x < 0.65) {
      const keys = Array.from(
        { length: r.int(1, 4) },
        () =>
          `0${r.pick(["2", "3"])}${[...r.bytes(32)].map((b) => b.toString(16).padStart(2, "0")).join("")}`,
      );
      return { type: "rotateGuardians" as const, keys, threshold: r.int(0, 5) };
    }
    if (x < 0.8) {
      const coordinate = () => (r.chance(0.5) ? r.pick(BOUNDARY) : r.bits(256));
      const keys = Array.from(
        { length: r.int(1, 3) },
        () => [coordinate(), coordinate()] as [bigint, bigint],
      );
      return { type: "rotateOracleKeys" as const, keys, threshold: r.int(0, 4) };
    }
    return { type: r.pick(["pause", "unpause", "shutdown"] as const) };
  }

  private attestationFor(op: SpellOperation, view: View): Uint8Array {
    const r = this.r;
    const x = r.next();
    if (PRICED.has(op.type) && x < this.attested) return view.attestation;
    if (x < 0.9) return new Uint8Array(0);
    if (x < 0.98) return r.bytes(r.int(1, 120));
    // A valid attestation with one byte changed (its signatures are checked, and fail).
    const bad = view.attestation.slice();
    const at = r.int(0, bad.length - 1);
    bad[at] = bad[at]! ^ (1 << r.int(0, 7));
    return bad;
  }

  private proof(): Uint8Array {
    return this.r.chance(0.7) ? new Uint8Array(128) : this.r.bytes(128);
  }

  /** A structurally valid spell (oversized amounts spliced in past the encoder). */
  spell(view: View): Uint8Array {
    this.oversized = [];
    const op = this.op(view);
    const bytes = [
      ...encodeSpell({ version: 1, op, attestation: this.attestationFor(op, view), proof: this.proof() }),
    ];
    for (const [sentinel, value] of this.oversized) {
      const from = leb(sentinel);
      const at = bytes.findIndex((_, i) => from.every((b, j) => bytes[i + j] === b));
      if (at >= 0) bytes.splice(at, from.length, ...leb(value));
    }
    return Uint8Array.from(bytes);
  }

  /** Any hostile payload: a spell as above, or bytes that are not one. */
  payload(view: View): Uint8Array {
    const r = this.r;
    const x = r.next();
    if (x < 0.6) return this.spell(view);
    const valid = this.spell(view);
    if (x < 0.7) return valid.slice(0, r.int(0, valid.length - 1));
    if (x < 0.85) {
      const out = valid.slice();
      for (let k = r.int(1, 4); k > 0; k--) out[r.int(5, out.length - 1)] = r.int(0, 255);
      return out;
    }
    if (x < 0.9) {
      const cut = r.int(7, valid.length);
      return Uint8Array.from([...valid.slice(0, cut), ...r.bytes(r.int(1, 40)), ...valid.slice(cut)]).slice(
        0,
        999,
      );
    }
    const magic = [0x7a, 0x6b, 0x55, 0x53, 0x44];
    if (x < 0.95)
      return Uint8Array.from([
        ...magic,
        1,
        r.pick(Object.values(SPELL_SCHEMAS)).code,
        ...r.bytes(r.int(0, 300)),
      ]);
    return Uint8Array.from([...magic, ...r.bytes(r.int(0, 990))]);
  }
}

/** The genesis state of the campaign's indexer (and of the clean replay). */
const genesis = (params: Params) =>
  createGenesisState(params, {
    time: BigInt(T0),
    height: 1000n,
    governance: {
      guardians: { keys: TEST_CUSTODY.guardians.keys, threshold: BigInt(TEST_CUSTODY.guardians.threshold) },
    },
  });

/**
 * The setup's opens, one per actor, in the block after its price. With proofs verified each the engine
 * accepts carries its proof (every vault operation must), made on the state it meets: an engine replay
 * of the block so far. The ones it refuses (the ratio or TCR) go unproven, refused either way.
 */
async function setupOpens(
  params: Params,
  price: bigint,
  att: Uint8Array,
  proofs: boolean,
): Promise<ChainTx[]> {
  const state = genesis(params);
  const time = BigInt(decodeAttestation(att).timestamp);
  apply(state, { type: "setPrice", price }, { height: 1001n, time });
  const out: ChainTx[] = [];
  for (const [i, actor] of NAMES.entries()) {
    let spell: Spell = {
      version: 1,
      op: {
        type: "openVault",
        collateral: BigInt(1 + (i % 4)) * ONE,
        borrow: BigInt(20_000 + 5_000 * i) * ONE,
        ownerKey: MemoryChain.key(actor),
        vaultOutput: 0,
      },
      attestation: att,
      proof: new Uint8Array(128),
    };
    const owner = MemoryChain.address(actor);
    if (proofs && apply(cloneState(state), toOperation(spell.op, owner), { height: 1001n, time }).ok) {
      spell = await proveSpell(spell, owner, state);
      apply(state, toOperation(spell.op, owner), { height: 1001n, time });
    }
    out.push({
      actor,
      pay: [{ script: testVaultScript(MemoryChain.key(actor)), sats: BigInt(1 + (i % 4)) * 100_000_000n }],
      payload: encodeSpell(spell),
    });
  }
  return out;
}

/** Runs the campaign; see the module comment. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const started = performance.now();
  const r = rng(o.seed);
  const gen = new Generator(r, o.attested ?? 0.1);
  const perBlock = o.perBlock ?? 250;
  const chain = new MemoryChain(1000, T0);
  const store = new MemoryStore();
  const params = { ...DEFAULT_PARAMS, redemptionBootstrapDays: 0n };
  const indexer = await Indexer.open({
    store,
    chain,
    startHeight: 1001,
    params,
    verifier: o.verifier,
    custody: TEST_CUSTODY,
  });
  const sent = new Map<string, ChainTx>();
  const halts: string[] = [];
  let round = 1n;
  const sign = (price: bigint, time: number) => attest(price, time, round++).bytes;

  // Setup: a price, a vault per actor, pool deposits: a live state for the hostile spells to hit.
  let price = 60_000n * ONE;
  const setupAtt = sign(price, T0 + 60);
  const setup: ChainTx[] = [
    {
      actor: NAMES[0]!,
      payload: encodeSpell({
        version: 1,
        op: { type: "setPrice", price },
        attestation: setupAtt,
        proof: new Uint8Array(128),
      }),
    },
    // Opens travel with their BTC (docs/decisions.md §2a): output 0 pays the actor's vault script.
    ...(await setupOpens(params, price, setupAtt, o.verifier.proofs)),
    ...NAMES.slice(0, 5).map((actor) => ({
      actor,
      payload: encodeSpell({
        version: 1,
        op: { type: "poolDeposit", amount: 10_000n * ONE },
        attestation: new Uint8Array(0),
        proof: new Uint8Array(128),
      }),
    })),
  ];
  const record = (txs: ChainTx[]) => {
    const height = chain.mine(txs);
    return height;
  };
  record(setup);
  const sync = async () => {
    try {
      await indexer.sync();
    } catch (error) {
      halts.push(`${(error as Error).name}: ${(error as Error).message}`);
    }
  };
  await sync();

  let attestation = setupAtt;
  let attestedAt = T0 + 60;
  let left = o.spells;
  while (left > 0 && halts.length === 0) {
    const blockTime = T0 + 600 * (chain.height - 999);
    const txs: ChainTx[] = [];
    // A new price now and then (moves vaults across MCR: liquidations, recovery mode), and fresh time.
    if (r.chance(0.15) || blockTime - attestedAt > 6 * 3600) {
      const statePrice = indexer.state.g.price;
      price = r.chance(0.6) ? (statePrice * BigInt(r.int(70, 130))) / 100n : statePrice;
      attestedAt = blockTime - 30;
      const setPrice = sign(price, attestedAt);
      txs.push({
        actor: r.pick(NAMES),
        payload: encodeSpell({
          version: 1,
          op: { type: "setPrice", price },
          attestation: setPrice,
          proof: new Uint8Array(128),
        }),
      });
      attestation = sign(price, attestedAt);
    }
    const view: View = { price, attestation, proposals: indexer.state.gov.proposals.length };
    const n = Math.min(perBlock, left);
    for (let i = 0; i < n; i++)
      txs.push({ actor: r.chance(0.01) ? null : r.pick(NAMES), payload: gen.payload(view) });
    left -= n;
    const height = record(txs);
    for (const [position, tx] of txs.entries()) sent.set(`${height}:${position}`, tx);
    await sync();
    o.progress?.(o.spells - left);
  }

  // The clean replay: the accepted spells, decoded again from the chain, on the engine directly.
  const spells = await store.spells();
  const replay = genesis(params);
  const kinds: Record<string, number> = {};
  const acceptedKinds: Record<string, number> = {};
  for (const s of spells) {
    acceptedKinds[s.op.type as string] = (acceptedKinds[s.op.type as string] ?? 0) + 1;
    // Position 0 of every block is its coinbase: the spells sent are at 1, 2, …
    const tx = s.height === 1001 ? setup[s.position - 1]! : sent.get(`${s.height}:${s.position - 1}`)!;
    const spell = decodeSpell(tx.payload!);
    const op = toOperation(spell.op, MemoryChain.address(tx.actor!));
    const time =
      spell.attestation.length > 0 ? BigInt(decodeAttestation(spell.attestation).timestamp) : replay.g.time;
    if (Number(time) !== s.time)
      throw new Error(`spell ${s.height}:${s.position}: time ${time}, the indexer used ${s.time}`);
    const result = apply(replay, op, { height: BigInt(s.height), time });
    if (!result.ok)
      throw new Error(`spell ${s.height}:${s.position} (${op.type}) fails on replay: ${result.error.code}`);
  }
  const rejected: Record<string, number> = {};
  for (const x of await store.rejected()) {
    const key = x.reason.detail ? `${x.reason.code}/${x.reason.detail}` : x.reason.code;
    rejected[key] = (rejected[key] ?? 0) + 1;
  }
  for (const tx of sent.values()) {
    let kind = "undecodable";
    try {
      kind = decodeSpell(tx.payload!).op.type;
    } catch {}
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return {
    spells: sent.size,
    blocks: chain.height - 1000,
    accepted: spells.length,
    rejected,
    kinds,
    acceptedKinds,
    halts,
    root: indexer.head.root,
    // The custody records (the vault coins) come from Bitcoin, not from the engine's replay.
    replayRoot: stateRoot(
      Object.assign(replay, { custody: deserializeCustody(serializeCustody(indexer.state.custody)) }),
    ),
    seconds: (performance.now() - started) / 1000,
  };
}
