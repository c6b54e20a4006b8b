/**
 * sats-connect adapter: the UI-less named `request` (no picker web component, no localStorage
 * default) against the injected provider (Xverse `XverseProviders.BitcoinProvider` by default, or a
 * providerId the app's own picker chose). Vault inputs are signed by the payment key: the PSBT
 * carries their witnessScript with that key in it, and `signInputs` lists them under the payment
 * address. Wallet errors become WalletError (USER_REJECTION −32000 → "userRejected").
 */
import { base64, hex } from "@scure/base";
import { request } from "sats-connect";
import type { BtcNetworkName } from "./network.ts";
import type { WalletAddressType } from "./psbt.ts";
import {
  type BitcoinWallet,
  type WalletAddress,
  type WalletAddresses,
  WalletError,
  walletErrorFromRpc,
} from "./wallet.ts";

const NETWORKS: Record<string, BtcNetworkName | undefined> = {
  Mainnet: "mainnet",
  Testnet4: "testnet4",
  Signet: "signet",
  Regtest: "regtest",
};

const TYPES: Record<string, WalletAddressType | undefined> = {
  p2wpkh: "p2wpkh",
  p2sh: "p2sh-p2wpkh",
  p2tr: "p2tr",
};

type RpcOutcome =
  | { status: "success"; result: unknown }
  | { status: "error"; error: { code: number; message: string } };

export class SatsConnectWallet implements BitcoinWallet {
  readonly id: string;
  constructor(
    /** Dot path of the provider on window (sats-connect providerId). */
    readonly providerId = "XverseProviders.BitcoinProvider",
    readonly label = "Browser wallet (sats-connect)",
  ) {
    this.id = `sats-connect:${providerId}`;
  }

  private async call<T>(method: string, params: unknown): Promise<T> {
    let res: RpcOutcome;
    try {
      res = (await (request as unknown as (m: string, p: unknown, id?: string) => Promise<RpcOutcome>)(
        method,
        params,
        this.providerId,
      )) as RpcOutcome;
    } catch (e) {
      const msg = (e as Error)?.message ?? String(e);
      if (/no wallet provider/i.test(msg)) throw new WalletError("noWallet", msg);
      throw new WalletError("internal", msg);
    }
    if (res.status === "success") return res.result as T;
    throw walletErrorFromRpc(res.error?.code ?? -32603, res.error?.message ?? "");
  }

  private static network(name: unknown): BtcNetworkName {
    const n = NETWORKS[String(name)];
    if (!n)
      throw new WalletError(
        "wrongNetwork",
        `the wallet is on ${String(name)}, which this app does not support`,
      );
    return n;
  }

  async getAddresses(): Promise<WalletAddresses> {
    const r = await this.call<{
      addresses: { address: string; publicKey: string; purpose: string; addressType: string }[];
      network?: { bitcoin?: { name?: string } };
    }>("getAddresses", { purposes: ["payment", "ordinals"], message: "zkUSD: connect your Bitcoin wallet" });
    const toAddr = (purpose: "payment" | "ordinals"): WalletAddress | undefined => {
      const a = r.addresses.find((x) => x.purpose === purpose);
      if (!a) return undefined;
      const type = TYPES[a.addressType];
      if (!type)
        throw new WalletError("unsupported", `${purpose} address type ${a.addressType} is not supported`);
      return { address: a.address, publicKey: hex.decode(a.publicKey), purpose, type };
    };
    const payment = toAddr("payment");
    if (!payment) throw new WalletError("unsupported", "the wallet returned no payment address");
    if (payment.type === "p2tr") {
      throw new WalletError(
        "unsupported",
        "vaults need an ECDSA payment key (p2wpkh or p2sh-p2wpkh), not taproot",
      );
    }
    const ordinals = toAddr("ordinals");
    const network = r.network?.bitcoin?.name
      ? SatsConnectWallet.network(r.network.bitcoin.name)
      : await this.getNetwork();
    return { payment, ...(ordinals ? { ordinals } : {}), network };
  }

  async getNetwork(): Promise<BtcNetworkName> {
    const r = await this.call<{ bitcoin: { name: string } }>("wallet_getNetwork", null);
    return SatsConnectWallet.network(r.bitcoin?.name);
  }

  async signPsbt(psbt: Uint8Array, signInputs: Record<string, number[]>): Promise<Uint8Array> {
    const r = await this.call<{ psbt: string }>("signPsbt", {
      psbt: base64.encode(psbt),
      signInputs,
      broadcast: false,
    });
    try {
      return base64.decode(r.psbt);
    } catch {
      throw new WalletError("internal", "the wallet returned a PSBT that is not base64");
    }
  }

  async signMessage(address: string, message: string): Promise<{ address: string; signature: string }> {
    const r = await this.call<{ signature: string; address: string }>("signMessage", {
      address,
      message,
      protocol: "ECDSA",
    });
    return { address: r.address ?? address, signature: r.signature };
  }
}
