/**
 * The wallet boundary: what the app needs from any Bitcoin wallet, and the typed errors wallets fail
 * with. Implementations: the sats-connect adapter (browser wallets) and the regtest dev wallet.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { BtcNetworkName } from "./network.ts";
import type { WalletAddressType } from "./psbt.ts";

export interface WalletAddress {
  address: string;
  publicKey: Uint8Array;
  purpose: "payment" | "ordinals";
  type: WalletAddressType;
}

export interface WalletAddresses {
  /** Pays fees and owns vaults (its key goes into vault scripts). */
  payment: WalletAddress;
  /** Taproot address for inscriptions; never spent by this app. */
  ordinals?: WalletAddress;
  network: BtcNetworkName;
}

export interface BitcoinWallet {
  readonly id: string;
  /** What the UI shows ("Xverse", "DEV WALLET — regtest only"). */
  readonly label: string;
  getAddresses(): Promise<WalletAddresses>;
  getNetwork(): Promise<BtcNetworkName>;
  /** Signs the listed inputs (address → input indexes) and returns the signed, unfinalized PSBT. */
  signPsbt(psbt: Uint8Array, signInputs: Record<string, number[]>): Promise<Uint8Array>;
  /** Signs a message (BIP137 ECDSA) with an address's key; base64 signature. */
  signMessage(address: string, message: string): Promise<{ address: string; signature: string }>;
}

export type WalletErrorCode =
  | "userRejected"
  | "noWallet"
  | "accessDenied"
  | "unsupported"
  | "invalidParams"
  | "wrongNetwork"
  | "internal";

const WALLET_MESSAGES: Record<WalletErrorCode, string> = {
  userRejected: "You declined the request in your wallet.",
  noWallet: "No Bitcoin wallet was found. Install a sats-connect wallet such as Xverse.",
  accessDenied: "The wallet refused access to this site.",
  unsupported: "The wallet does not support this request.",
  invalidParams: "The wallet rejected the request as malformed.",
  wrongNetwork: "The wallet is on a different Bitcoin network than the app.",
  internal: "The wallet failed to complete the request.",
};

export class WalletError extends Error {
  override readonly name = "WalletError";
  constructor(
    readonly code: WalletErrorCode,
    detail?: string,
    /** JSON-RPC error code from the wallet, when there was one. */
    readonly rpcCode?: number,
  ) {
    super(detail ?? WALLET_MESSAGES[code]);
  }
  get userMessage(): string {
    return WALLET_MESSAGES[this.code];
  }
}

/** Maps a JSON-RPC error code (sats-connect RpcErrorCode) to a typed wallet error. */
export function walletErrorFromRpc(code: number, message: string): WalletError {
  const kind: WalletErrorCode =
    code === -32000
      ? "userRejected"
      : code === -32002
        ? "accessDenied"
        : code === -32001 || code === -32601
          ? "unsupported"
          : code === -32602 || code === -32600 || code === -32700
            ? "invalidParams"
            : "internal";
  return new WalletError(kind, message || undefined, code);
}

const MAGIC = new TextEncoder().encode("\x18Bitcoin Signed Message:\n");

function varint(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
}

/** BIP137 message hash: sha256d("\x18Bitcoin Signed Message:\n" + varint(len) + message). */
export function messageHash(message: string): Uint8Array {
  const m = new TextEncoder().encode(message);
  const buf = new Uint8Array(MAGIC.length + varint(m.length).length + m.length);
  buf.set(MAGIC, 0);
  buf.set(varint(m.length), MAGIC.length);
  buf.set(m, MAGIC.length + varint(m.length).length);
  return sha256(sha256(buf));
}
