/**
 * Bitcoin networks the app runs on, their btc-signer parameters, and address ↔ output script.
 * testnet4 and signet share testnet's address prefixes (`tb`); regtest uses `bcrt`.
 */
import { Address, NETWORK, OutScript, TEST_NETWORK } from "@scure/btc-signer";
import { LOCAL_STACK } from "../devnet/local-stack.ts";
import { BtcInputError } from "./errors.ts";

export type BtcNetworkName = "mainnet" | "testnet4" | "signet" | "regtest";
export const BTC_NETWORKS: readonly BtcNetworkName[] = ["mainnet", "testnet4", "signet", "regtest"];

export type BtcNetwork = typeof NETWORK;

const REGTEST: BtcNetwork = { ...TEST_NETWORK, bech32: "bcrt" };

export const NETWORK_PARAMS: Readonly<Record<BtcNetworkName, BtcNetwork>> = {
  mainnet: NETWORK,
  testnet4: TEST_NETWORK,
  signet: TEST_NETWORK,
  regtest: REGTEST,
};

/** Public Esplora bases per network; regtest points at the local devnet (src/devnet). */
export const DEFAULT_ESPLORA_URLS: Readonly<Record<BtcNetworkName, string>> = {
  mainnet: "https://mempool.space/api",
  testnet4: "https://mempool.space/testnet4/api",
  signet: "https://mempool.space/signet/api",
  regtest: LOCAL_STACK.devnet,
};

export function assertNetwork(name: unknown): BtcNetworkName {
  if (!BTC_NETWORKS.includes(name as BtcNetworkName)) {
    throw new BtcInputError(
      "invalidNetwork",
      `expected one of ${BTC_NETWORKS.join(", ")}, got ${String(name)}`,
    );
  }
  return name as BtcNetworkName;
}

export const networkParams = (name: BtcNetworkName): BtcNetwork => NETWORK_PARAMS[assertNetwork(name)];

/** Output script of an address on a network; throws BtcInputError for a bad or foreign address. */
export function addressToScript(address: string, network: BtcNetworkName): Uint8Array {
  try {
    return OutScript.encode(Address(networkParams(network)).decode(address));
  } catch (e) {
    throw new BtcInputError(
      "invalidAddress",
      `${address} is not a valid ${network} address: ${(e as Error).message}`,
    );
  }
}

/** Address of an output script, or undefined for scripts without one (OP_RETURN, bare scripts). */
export function scriptToAddress(script: Uint8Array, network: BtcNetworkName): string | undefined {
  try {
    const decoded = OutScript.decode(script);
    if (!["pkh", "sh", "wpkh", "wsh", "tr"].includes(decoded.type)) return undefined;
    return Address(networkParams(network)).encode(decoded);
  } catch {
    return undefined;
  }
}

/** Output script kind as Esplora names it (p2pkh, p2sh, v0_p2wpkh, v0_p2wsh, v1_p2tr, op_return, unknown). */
export function scriptType(script: Uint8Array): string {
  if (script[0] === 0x6a) return "op_return";
  try {
    const t = OutScript.decode(script).type;
    return (
      (
        { pkh: "p2pkh", sh: "p2sh", wpkh: "v0_p2wpkh", wsh: "v0_p2wsh", tr: "v1_p2tr" } as Record<
          string,
          string
        >
      )[t] ?? "unknown"
    );
  } catch {
    return "unknown";
  }
}
