/**
 * Test support: wallets that put spells on the regtest devnet (first input = the wallet = the
 * spell's actor) and oracle-signed attestations. Used by the indexer's regtest test, the storage e2e
 * tests and the indexer benchmark.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh, Script, Transaction } from "@scure/btc-signer";
import {
  type EsploraClient,
  encodeSpell,
  networkParams,
  type Spell,
  type SpellOperation,
  toHex,
  vaultDescriptor,
} from "../../src/btc/index.ts";
import type { Devnet } from "../../src/devnet/server.ts";
import {
  combineSignatures,
  encodeAttestation,
  type OracleKeySet,
  publicKeyFromPrivate,
  signStatement,
} from "../../src/oracle/index.ts";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type State,
} from "../../src/protocol/index.ts";
import { proveSpell } from "../../src/zk/node.ts";

// `attest` signs synchronously: the one Poseidon is built once, for every file that imports this helper.
await initPoseidon();

export const E18 = 10n ** 18n;

/** Fixed dev oracle keys (2 of 3). */
export const ORACLE_PRIVATE_KEYS = [1, 2, 3].map((i) =>
  Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j) & 0xff),
);
export const ORACLE_KEYS: OracleKeySet = {
  keys: ORACLE_PRIVATE_KEYS.map(publicKeyFromPrivate),
  threshold: 2,
};
/** The same, as the data layer's settings want them (decimal strings). */
export const ORACLE_KEYS_SETTING = {
  keys: ORACLE_KEYS.keys.map((k) => [k[0].toString(), k[1].toString()] as [string, string]),
  threshold: 2,
};

/** A fixed 2-of-3 custody key set and a short escape timelock for test chains (IndexerOptions.custody). */
const CUSTODY_PRIVATE_KEYS = [7, 8, 9].map((i) =>
  Uint8Array.from({ length: 32 }, (_, j) => (i * 17 + j) & 0xff),
);
export const TEST_CUSTODY = {
  network: "regtest" as const,
  csvBlocks: 144,
  guardians: {
    keys: CUSTODY_PRIVATE_KEYS.map((k) => toHex(secp256k1.getPublicKey(k, true))),
    threshold: 2,
  },
};

/** The vault script of an owner key under TEST_CUSTODY. */
export const testVaultScript = (owner: Uint8Array): Uint8Array =>
  vaultDescriptor({
    owner,
    guardians: {
      threshold: TEST_CUSTODY.guardians.threshold,
      keys: TEST_CUSTODY.guardians.keys.map((k) => Uint8Array.from(Buffer.from(k, "hex"))),
    },
    csvBlocks: TEST_CUSTODY.csvBlocks,
  }).script;

/** Oracle-signed attestation bytes (signers 0 and 2) and the statement as the prover wants it. */
export function attest(price: bigint, timestamp: number, round: bigint) {
  const statement = { price, timestamp, round };
  const att = combineSignatures(statement, [
    signStatement(statement, ORACLE_PRIVATE_KEYS[0]!, 0),
    signStatement(statement, ORACLE_PRIVATE_KEYS[2]!, 2),
  ]);
  return { bytes: encodeAttestation(att), statement: { price, timestamp: BigInt(timestamp), round } };
}

/** A P2WPKH wallet that chains its own change (unconfirmed change is spendable on regtest). */
export class SpellWallet {
  readonly priv = secp256k1.utils.randomSecretKey();
  readonly pub = secp256k1.getPublicKey(this.priv, true);
  readonly pay = p2wpkh(this.pub, networkParams("regtest"));
  readonly address = this.pay.address!;
  /** Raw hex of every transaction sent, by txid (to rebroadcast after a reorg). */
  readonly raw = new Map<string, string>();
  private utxo?: { txid: string; vout: number; amount: bigint };

  constructor(
    private readonly devnet: Devnet,
    private readonly esplora: EsploraClient,
  ) {}

  async fund(sats: bigint): Promise<void> {
    const txid = await this.devnet.faucet(this.address, sats);
    const tx = await this.esplora.tx(txid);
    const vout = tx.vout.findIndex((o) => o.scriptpubkey_address === this.address);
    this.utxo = { txid, vout, amount: BigInt(tx.vout[vout]!.value) };
  }

  /**
   * Broadcasts a transaction whose first input is this wallet's: `pay` outputs first, then the
   * OP_RETURN carrying `payload`, then change.
   */
  async send(payload: Uint8Array, pay: { script: Uint8Array; amount: bigint }[] = []): Promise<string> {
    const u = this.utxo!;
    const tx = new Transaction({ version: 2, allowUnknownOutputs: true });
    tx.addInput({ txid: u.txid, index: u.vout, witnessUtxo: { script: this.pay.script, amount: u.amount } });
    for (const o of pay) tx.addOutput(o);
    tx.addOutput({ script: Script.encode(["RETURN", payload]), amount: 0n });
    const change = u.amount - 2_000n - pay.reduce((a, o) => a + o.amount, 0n);
    tx.addOutput({ script: this.pay.script, amount: change });
    tx.sign(this.priv);
    tx.finalize();
    const txid = await this.devnet.chain.broadcast(tx.hex);
    this.raw.set(txid, tx.hex);
    this.utxo = { txid, vout: pay.length + 1, amount: change };
    return txid;
  }

  /**
   * Casts a spell. An open or a deposit travels with its BTC (docs/decisions.md §2a): output 0 pays the added
   * sats to this wallet's vault script under TEST_CUSTODY, and the spell names it (and, to open, this
   * wallet's key as the owner key). `unfunded` casts the spell as given (hostile tests).
   */
  cast(
    op: SpellOperation,
    attestation: Uint8Array = new Uint8Array(0),
    proof: Uint8Array = new Uint8Array(128),
    options: { unfunded?: boolean } = {},
  ): Promise<string> {
    const added =
      op.type === "openVault" ? op.collateral : op.type === "adjustVault" ? (op.depositCollateral ?? 0n) : 0n;
    if (options.unfunded || added === 0n)
      return this.send(encodeSpell({ version: 1, op, attestation, proof } satisfies Spell));
    const funded: SpellOperation =
      op.type === "openVault"
        ? { ...op, ownerKey: this.pub, vaultOutput: 0 }
        : { ...(op as Extract<SpellOperation, { type: "adjustVault" }>), vaultOutput: 0 };
    return this.send(encodeSpell({ version: 1, op: funded, attestation, proof }), [
      { script: testVaultScript(this.pub), amount: added / 10n ** 10n },
    ]);
  }

  /**
   * Casts a vault spell with its proof, made on `state`: the state the indexer will apply it to (its
   * vault record and context; src/zk/node.ts proveSpell). A borrowing spell declares its fee.
   */
  async castProven(
    op: SpellOperation,
    attestation: Uint8Array,
    state: State,
    options: { unfunded?: boolean } = {},
  ): Promise<string> {
    const s = await proveSpell(
      { version: 1, op, attestation, proof: new Uint8Array(128) },
      this.address,
      state,
    );
    return this.cast(s.op, s.attestation, s.proof, options);
  }
}

/**
 * A history of mixed operations: a price, a vault per wallet (each open with its proof, made on the
 * state after the price: an engine replay here, with the indexer's DEFAULT_PARAMS), transfers and pool
 * deposits, one malformed spell, spread over `blocks` blocks.
 */
export async function mixedHistory(
  devnet: Devnet,
  esplora: EsploraClient,
  opts: { wallets: number; blocks: number; baseTime: number },
): Promise<{ wallets: SpellWallet[]; spells: number }> {
  const wallets = Array.from({ length: opts.wallets }, () => new SpellWallet(devnet, esplora));
  for (const w of wallets) await w.fund(20_000_000n);
  await devnet.mine(1);
  const price = 60_000n * E18;
  await wallets[0]!.cast({ type: "setPrice", price }, attest(price, opts.baseTime + 60, 1n).bytes);
  await devnet.mine(1);
  let spells = 1;
  const priced = createGenesisState({ ...DEFAULT_PARAMS }, { time: BigInt(opts.baseTime) });
  const set = apply(priced, { type: "setPrice", price }, { height: 0n, time: BigInt(opts.baseTime + 60) });
  if (!set.ok) throw set.error;
  const open = attest(price, opts.baseTime + 120, 2n).bytes;
  for (const w of wallets) {
    const op = { type: "openVault", collateral: E18 / 10n, borrow: 3_000n * E18, maxFee: E18 / 20n } as const;
    await w.castProven(op, open, priced);
    spells++;
  }
  await devnet.mine(1);
  for (let b = 0; b < opts.blocks - 2; b++) {
    const w = wallets[b % wallets.length]!;
    const to = wallets[(b + 1) % wallets.length]!;
    if (b % 3 === 0) await w.cast({ type: "transfer", to: to.address, amount: E18 });
    else if (b % 3 === 1) await w.cast({ type: "poolDeposit", amount: 2n * E18 });
    else await w.send(Uint8Array.from([0x7a, 0x6b, 0x55, 0x53, 0x44, 0x01, 0x20, 0x05]));
    if (b % 3 !== 2) spells++;
    await devnet.mine(1);
  }
  return { wallets, spells };
}
