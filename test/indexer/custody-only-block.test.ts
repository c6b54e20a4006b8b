/**
 * A block whose only change is custody's (a fee account funding: no engine spell applied) is a
 * changed block: its root moves and its state is stored, so a client that reloads from its store
 * holds the same books as one that kept running (src/indexer/indexer.ts "changed").
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fromHex } from "../../src/btc/scripts.ts";
import { encodeSpell } from "../../src/btc/spell.ts";
import { Indexer } from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon, stateRoot } from "../../src/protocol/index.ts";
import { encodeFundSpell, feeAccountSats, poolScriptHex } from "../../src/settlement/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY } from "./chain.ts";
import { MemoryChain } from "./memoryChain.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;

beforeAll(() => initPoseidon());

describe("a block that changes custody only", () => {
  it("moves the root and is stored: a reloaded client holds the same fee account", async () => {
    const chain = new MemoryChain(100, T0);
    chain.mine([
      {
        actor: "ann",
        payload: encodeSpell({
          version: 1,
          op: { type: "setPrice", price: PRICE },
          attestation: attest(PRICE, T0 + 60, 1n).bytes,
          proof: new Uint8Array(128),
        }),
      },
    ]);
    const store = new MemoryStore();
    const options = {
      store,
      chain,
      startHeight: 101,
      params: { ...DEFAULT_PARAMS },
      verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
      custody: { ...TEST_CUSTODY, finality: 1 },
    };
    const indexer = await Indexer.open(options);
    await indexer.sync();
    const before = indexer.head.root;
    const pool = fromHex(poolScriptHex(indexer.state)!);
    chain.mine([
      {
        actor: "fed",
        pay: [{ script: pool, sats: 50_000n }],
        payload: encodeFundSpell({ vout: 0, sats: 50_000n }),
      },
    ]);
    await indexer.sync();
    expect(feeAccountSats(indexer.state)).toBe(50_000n);
    expect(indexer.head.root).not.toBe(before);
    expect(indexer.head.root).toBe(stateRoot(indexer.state));
    indexer.stop();

    const reloaded = await Indexer.open(options);
    expect(reloaded.head.root).toBe(indexer.head.root);
    expect(feeAccountSats(reloaded.state)).toBe(50_000n);
  });
});
