/**
 * The simulated chain most custody tests start from: a custody indexer (finality 1) on a MemoryChain
 * whose first block sets the price, and Ann's vault (0.3 BTC, 2,000 zkUSD) opened at its script.
 */
import { encodeSpell, type SpellOperation } from "../../src/btc/spell.ts";
import { Indexer } from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS } from "../../src/protocol/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "../indexer/chain.ts";
import { type ChainTx, MemoryChain } from "../indexer/memoryChain.ts";

export const T0 = 1_700_000_000;
export const PRICE = 60_000n * E18;
export const SAT = 10n ** 10n;

export const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });

/** The chain with the price set in its first block, its indexer (not yet synced) and the n-th attestation. */
export async function custodyChain() {
  const chain = new MemoryChain(100, T0);
  const att = (n: number) => attest(PRICE, T0 + 60 * n, BigInt(n)).bytes;
  chain.mine([{ actor: "ann", payload: spell({ type: "setPrice", price: PRICE }, att(1)) }]);
  const indexer = await Indexer.open({
    store: new MemoryStore(),
    chain,
    startHeight: 101,
    params: { ...DEFAULT_PARAMS },
    verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
    custody: { ...TEST_CUSTODY, finality: 1 },
  });
  return { chain, indexer, att };
}

/** Ann's open of a 0.3 BTC vault borrowing 2,000 zkUSD, paying its script in output 0. */
export function annOpensVault(attestation: Uint8Array): ChainTx {
  return {
    actor: "ann",
    pay: [{ script: testVaultScript(MemoryChain.key("ann")), sats: 30_000_000n }],
    payload: spell(
      {
        type: "openVault",
        collateral: 30_000_000n * SAT,
        borrow: 2_000n * E18,
        maxFee: E18,
        ownerKey: MemoryChain.key("ann"),
        vaultOutput: 0,
      },
      attestation,
    ),
  };
}
