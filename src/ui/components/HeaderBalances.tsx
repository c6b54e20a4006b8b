/**
 * The connected wallet's balances in the header — BTC (the wallet's coins on the chain, from the
 * Esplora API) and zkUSD (the engine's ledger) — and a "Receive" panel with the payment address, a
 * copy button and its QR code (BIP21 `bitcoin:` URI), drawn as SVG from the `qr` encoder's module
 * matrix (no innerHTML, nothing fetched).
 */

import encodeQR from "qr";
import { useMemo, useRef, useState } from "react";
import { formatBtc, formatZkusd } from "../../client/index.ts";
import { SATOSHI } from "../../protocol/index.ts";
import { useWalletCoins } from "../queries/bitcoin.ts";
import { usePosition } from "../queries/engine.ts";
import { syncingFigure, useSyncGate } from "../queries/readiness.ts";
import { useWalletStore } from "../wallet/wallet-store.ts";

export function HeaderBalances() {
  const address = useWalletStore((s) => s.addresses?.payment.address);
  const coins = useWalletCoins(address);
  const position = usePosition(address);
  const gate = useSyncGate();
  if (!address) return null;
  const sats = coins.data?.reduce((a, c) => a + c.value, 0n);
  // The ledger's balance is the engine state's: behind the tip it is an older state's, so not shown.
  const zkusd = gate.ready ? position.data?.balance : undefined;
  return (
    <div className="header-balances" data-testid="header-balances">
      <span
        className="header-balance"
        data-testid="header-btc"
        data-value={sats?.toString()}
        title="BTC in your wallet"
      >
        {sats === undefined ? (coins.isError ? "BTC unavailable" : "… BTC") : formatBtc(sats * SATOSHI)}
      </span>
      <span
        className="header-balance"
        data-testid="header-zkusd"
        data-value={zkusd?.toString()}
        title="zkUSD held by your account (the engine's ledger)"
      >
        {zkusd !== undefined ? formatZkusd(zkusd) : gate.ready ? "… zkUSD" : `zkUSD ${syncingFigure(gate)}`}
      </span>
      <ReceivePanel address={address} />
    </div>
  );
}

function ReceivePanel({ address }: { address: string }) {
  const details = useRef<HTMLDetailsElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <details
      className="receive-menu"
      ref={details}
      onKeyDown={(e) => {
        if (e.key === "Escape" && details.current?.open) {
          details.current.removeAttribute("open");
          details.current.querySelector("summary")?.focus();
        }
      }}
    >
      <summary className="button button-ghost button-small" data-testid="receive-button">
        Receive
      </summary>
      <div className="receive-panel card" data-testid="receive-panel">
        <p className="muted small">Your payment address: send BTC here to fund your wallet.</p>
        <AddressQr address={address} />
        <code className="receive-address" data-testid="receive-address">
          {address}
        </code>
        <div className="actions">
          <button
            type="button"
            className="button button-small"
            data-testid="copy-address"
            onClick={async () => {
              try {
                await navigator.clipboard.writeText(address);
                setCopied("yes");
              } catch {
                setCopied("failed");
              }
            }}
          >
            Copy address
          </button>
          {copied ? (
            <span role="status" className="small" data-testid="copy-status">
              {copied === "yes"
                ? "Copied."
                : "Your browser refused the clipboard: select the address above and copy it."}
            </span>
          ) : null}
        </div>
      </div>
    </details>
  );
}

/** The address as a QR code (BIP21 URI, medium error correction), one SVG path of dark modules. */
export function AddressQr({ address }: { address: string }) {
  const { path, size } = useMemo(() => {
    const modules = encodeQR(`bitcoin:${address}`, "raw", { ecc: "medium", border: 2 });
    let d = "";
    modules.forEach((row, y) => {
      row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      });
    });
    return { path: d, size: modules.length };
  }, [address]);
  return (
    <svg
      className="address-qr"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label={`QR code of bitcoin:${address}`}
      data-testid="address-qr"
      data-uri={`bitcoin:${address}`}
      shapeRendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
