/**
 * Where a transaction's custody coins are: a vault's UTXOs (its address comes from the owner's public
 * key and the guardian set) and the guardian pool's. For another owner's vault (liquidation,
 * redemption) the app only knows the owner's address, so it finds the public key on chain: any
 * transaction the owner signed — the vault's opening transaction first of all, whose first input is
 * the owner's — carries it in the witness [signature, public key], and it must hash to the address.
 */
import type { EsploraTx, EsploraUtxo } from "../../btc/esplora.ts";
import type { BtcNetworkName } from "../../btc/network.ts";
import { type ProtocolInput, type WalletAddressType, walletAccount } from "../../btc/psbt.ts";
import {
  descriptorAddress,
  fromHex,
  type GuardianSet,
  type PoolDescriptor,
  type VaultDescriptor,
  vaultDescriptor,
} from "../../btc/scripts.ts";

/** The Esplora calls this module needs (EsploraClient has them). */
export interface CustodyChain {
  addressTxs(address: string): Promise<EsploraTx[]>;
  addressUtxos(address: string): Promise<EsploraUtxo[]>;
}

/** A vault owner's key could not be found or does not match: a plain sentence for the user. */
export class VaultOwnerError extends Error {
  override readonly name = "VaultOwnerError";
}

// Key-hash address types whose witness is [signature, public key]; Taproot reveals no key that way.
const KEY_HASH_TYPES: WalletAddressType[] = ["p2wpkh", "p2sh-p2wpkh"];

/**
 * The public key `owner` signed with in `tx`, or null when no input of `tx` spends from `owner`.
 * A key that does not hash to the owner's address is refused with a VaultOwnerError.
 */
export function ownerKeyFromTx(tx: EsploraTx, owner: string, network: BtcNetworkName): Uint8Array | null {
  for (const input of tx.vin) {
    if (input.prevout?.scriptpubkey_address !== owner) continue;
    const witness = input.witness ?? [];
    const keyHex = witness.length === 2 ? witness[1]! : "";
    let key: Uint8Array;
    try {
      key = fromHex(keyHex);
    } catch {
      key = new Uint8Array(0);
    }
    if (key.length !== 33) continue; // not a key-hash spend (a script path or Taproot): no key here
    for (const type of KEY_HASH_TYPES) {
      try {
        if (walletAccount(key, type, network).address === owner) return key;
      } catch {
        // not a valid curve point for this type: try the next, then refuse below
      }
    }
    throw new VaultOwnerError(
      `Transaction ${tx.txid} spends from ${owner} with the public key ${keyHex}, which does not belong to that address. The chain data looks wrong: check the Esplora URL in Settings.`,
    );
  }
  return null;
}

/** Finds `owner`'s public key in the owner's transaction history (newest first, as Esplora lists it). */
export async function findOwnerKey(
  chain: CustodyChain,
  owner: string,
  network: BtcNetworkName,
): Promise<Uint8Array> {
  let txs: EsploraTx[];
  try {
    txs = await chain.addressTxs(owner);
  } catch (error) {
    throw new VaultOwnerError(
      `The history of ${owner} could not be read from the Esplora API (${(error as Error).message}). Check the Esplora URL in Settings, then try again.`,
    );
  }
  for (const tx of txs) {
    const key = ownerKeyFromTx(tx, owner, network);
    if (key) return key;
  }
  throw new VaultOwnerError(
    `No transaction signed by ${owner} was found, so the public key of its vault cannot be known. Only vaults opened on chain by a SegWit (P2WPKH) address can be moved by this app.`,
  );
}

/** The UTXOs of a vault or the pool, as builder inputs. */
export async function custodyUtxos(
  chain: CustodyChain,
  descriptor: VaultDescriptor | PoolDescriptor,
  network: BtcNetworkName,
): Promise<ProtocolInput["utxo"][]> {
  const address = descriptorAddress(descriptor, network);
  const utxos = await chain.addressUtxos(address);
  return utxos.map((u) => ({ txid: u.txid, vout: u.vout, value: BigInt(u.value) }));
}

/** A vault of `owner` with its coins; `ownKey` skips the lookup for the user's own vault. */
export async function vaultCoins(
  chain: CustodyChain,
  owner: string,
  guardians: GuardianSet,
  network: BtcNetworkName,
  ownKey?: Uint8Array,
  csvBlocks?: number,
): Promise<{ owner: string; descriptor: VaultDescriptor; utxos: ProtocolInput["utxo"][] }> {
  const key = ownKey ?? (await findOwnerKey(chain, owner, network));
  const descriptor = vaultDescriptor({
    owner: key,
    guardians,
    ...(csvBlocks !== undefined ? { csvBlocks } : {}),
  });
  const utxos = await custodyUtxos(chain, descriptor, network);
  if (utxos.length === 0) {
    throw new VaultOwnerError(
      `The vault of ${owner} holds no coins on chain at ${descriptorAddress(descriptor, network)}. If the guardian keys in Settings are not the federation that holds it, fix them; otherwise wait for the chain to catch up.`,
    );
  }
  return { owner, descriptor, utxos };
}
