/**
 * DEV WALLET — regtest only. A software wallet whose secret keys live unencrypted in this browser's
 * IndexedDB (via idb), for the local devnet: it refuses to open on any other network and says so in
 * its label. Payment address P2WPKH (its key owns vaults), ordinals address P2TR (a second key).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64 } from "@scure/base";
import { type IDBPDatabase, openDB } from "idb";
import { BtcInputError } from "./errors.ts";
import type { BtcNetworkName } from "./network.ts";
import { parsePsbt, walletAccount } from "./psbt.ts";
import { type BitcoinWallet, messageHash, type WalletAddresses, WalletError } from "./wallet.ts";

export const DEV_WALLET_LABEL = "DEV WALLET — regtest only (keys stored unencrypted in this browser)";
const STORE = "keys";

interface StoredKeys {
  payment: Uint8Array;
  ordinals: Uint8Array;
  createdAt: number;
}

export class DevWallet implements BitcoinWallet {
  readonly id = "dev-wallet";
  readonly label = DEV_WALLET_LABEL;
  readonly network: BtcNetworkName = "regtest";

  private constructor(private readonly keys: StoredKeys) {}

  /** Opens (creating on first use) the dev wallet. Throws for any network but regtest. */
  static async open(opts: {
    network: BtcNetworkName;
    dbName?: string;
    indexedDB?: IDBFactory;
  }): Promise<DevWallet> {
    if (opts.network !== "regtest") {
      throw new BtcInputError(
        "wrongNetwork",
        `the dev wallet runs on regtest only, refused on ${opts.network}`,
      );
    }
    const db: IDBPDatabase = await openDB(opts.dbName ?? "zkusd-dev-wallet", 1, {
      upgrade(d) {
        d.createObjectStore(STORE);
      },
    });
    try {
      let keys = (await db.get(STORE, "default")) as StoredKeys | undefined;
      if (!keys) {
        keys = {
          payment: secp256k1.utils.randomSecretKey(),
          ordinals: secp256k1.utils.randomSecretKey(),
          createdAt: Date.now(),
        };
        await db.put(STORE, keys, "default");
      }
      return new DevWallet({
        ...keys,
        payment: new Uint8Array(keys.payment),
        ordinals: new Uint8Array(keys.ordinals),
      });
    } finally {
      db.close();
    }
  }

  /** Deletes the stored keys (funds on regtest only). */
  static async reset(dbName = "zkusd-dev-wallet"): Promise<void> {
    const db = await openDB(dbName, 1, {
      upgrade(d) {
        d.createObjectStore(STORE);
      },
    });
    await db.delete(STORE, "default");
    db.close();
  }

  private accounts() {
    return {
      payment: walletAccount(secp256k1.getPublicKey(this.keys.payment, true), "p2wpkh", "regtest"),
      ordinals: walletAccount(secp256k1.getPublicKey(this.keys.ordinals, true), "p2tr", "regtest"),
    };
  }

  async getAddresses(): Promise<WalletAddresses> {
    const { payment, ordinals } = this.accounts();
    return {
      payment: { ...payment, purpose: "payment" },
      ordinals: { ...ordinals, purpose: "ordinals" },
      network: "regtest",
    };
  }

  async getNetwork(): Promise<BtcNetworkName> {
    return "regtest";
  }

  async signPsbt(psbt: Uint8Array, signInputs: Record<string, number[]>): Promise<Uint8Array> {
    const { payment, ordinals } = this.accounts();
    const tx = parsePsbt(psbt);
    for (const [address, indexes] of Object.entries(signInputs)) {
      const key =
        address === payment.address
          ? this.keys.payment
          : address === ordinals.address
            ? this.keys.ordinals
            : undefined;
      if (!key) throw new WalletError("invalidParams", `the dev wallet does not own ${address}`);
      for (const i of indexes) {
        try {
          if (!tx.signIdx(key, i)) throw new Error("nothing to sign");
        } catch (e) {
          throw new WalletError("invalidParams", `cannot sign input ${i}: ${(e as Error).message}`);
        }
      }
    }
    return tx.toPSBT();
  }

  /** BIP137 ECDSA signature (header 39–42: compressed P2WPKH). */
  async signMessage(address: string, message: string): Promise<{ address: string; signature: string }> {
    const { payment } = this.accounts();
    if (address !== payment.address)
      throw new WalletError("invalidParams", "the dev wallet signs messages with its payment address");
    const sig = secp256k1.sign(messageHash(message), this.keys.payment, {
      prehash: false,
      format: "recovered",
    });
    const out = new Uint8Array(65);
    out[0] = 27 + 12 + sig[0]!;
    out.set(sig.subarray(1), 1);
    return { address, signature: base64.encode(out) };
  }
}

/** Dev helpers against the devnet's Esplora API (regtest only). */
export async function devnetFaucet(baseUrl: string, address: string, sats: bigint): Promise<string> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/regtest/faucet`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ address, sats: sats.toString() }),
  });
  if (!res.ok) throw new Error(`faucet: ${await res.text()}`);
  return ((await res.json()) as { txid: string }).txid;
}

export async function devnetMine(baseUrl: string, blocks = 1): Promise<string[]> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/regtest/mine`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ blocks }),
  });
  if (!res.ok) throw new Error(`mine: ${await res.text()}`);
  return ((await res.json()) as { hashes: string[] }).hashes;
}
