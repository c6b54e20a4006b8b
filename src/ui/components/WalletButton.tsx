import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import {
  type BtcNetworkName,
  devnetFund,
  formatBtc,
  shortHex,
  type WalletAddresses,
} from "../../client/index.ts";
import { SATOSHI } from "../../protocol/index.ts";
import { useEsploraUrl, useWalletCoins } from "../queries/bitcoin.ts";
import { queryKeys } from "../queries/keys.ts";
import { useSettings } from "../state/settings-store.ts";
import { networkLabel, useWalletStore, type WalletKind } from "../wallet/wallet-store.ts";

export function WalletButton() {
  const network = useSettings((s) => s.network);
  const { addresses, kind, connecting, error, connect, disconnect, clearError } = useWalletStore();
  const details = useRef<HTMLDetailsElement>(null);

  const close = () => details.current?.removeAttribute("open");
  // Connecting replaces the panel's buttons: keep keyboard focus in the menu (on its toggle).
  const connected = Boolean(addresses);
  useEffect(() => {
    if (connected && details.current?.open) details.current.querySelector("summary")?.focus();
  }, [connected]);
  const label = addresses ? (
    <>
      <span className="wallet-kind">{kind === "dev" ? "Dev wallet " : "Wallet "}</span>
      {shortHex(addresses.payment.address, 6)}
    </>
  ) : connecting ? (
    "Connecting…"
  ) : (
    "Connect wallet"
  );

  return (
    <details
      className="wallet-menu"
      ref={details}
      data-testid="wallet-menu"
      onKeyDown={(e) => {
        if (e.key === "Escape" && details.current?.open) {
          close();
          details.current.querySelector("summary")?.focus();
        }
      }}
    >
      <summary className="button" data-testid="wallet-button" data-connected={addresses ? "yes" : "no"}>
        {label}
      </summary>
      <div className="wallet-panel card">
        {addresses ? (
          <ConnectedWallet
            addresses={addresses}
            dev={kind === "dev"}
            onDisconnect={() => {
              disconnect();
              close();
            }}
          />
        ) : (
          <WalletChoices
            network={network}
            connecting={Boolean(connecting)}
            onConnect={(k) => void connect(k, network)}
          />
        )}
        {error ? (
          <div className="notice notice-danger" role="alert" data-testid="wallet-error">
            {error}{" "}
            <button type="button" className="button button-ghost button-small" onClick={clearError}>
              Dismiss
            </button>
          </div>
        ) : null}
      </div>
    </details>
  );
}

function ConnectedWallet(props: { addresses: WalletAddresses; dev: boolean; onDisconnect: () => void }) {
  const { addresses, dev, onDisconnect } = props;
  const coins = useWalletCoins(addresses.payment.address);
  const sats = coins.data?.reduce((a, c) => a + c.value, 0n);
  return (
    <>
      <p className="wallet-line">
        <span className="muted">Payment address</span>
        <code data-testid="wallet-address" title={addresses.payment.address}>
          {addresses.payment.address}
        </code>
      </p>
      <p className="wallet-line">
        <span className="muted">Network</span> {networkLabel(addresses.network)}
      </p>
      <p className="wallet-line" data-testid="wallet-balance" data-value={sats?.toString()}>
        <span className="muted">Balance</span>{" "}
        {coins.isError
          ? "unavailable (the Esplora API did not answer)"
          : sats === undefined
            ? "loading…"
            : `${formatBtc(sats * SATOSHI)} (${coins.data?.length ?? 0} coins)`}
      </p>
      {dev ? <DevFaucet address={addresses.payment.address} /> : null}
      {dev ? (
        <p className="notice notice-warn">
          DEV WALLET — regtest only. Its keys are stored unencrypted in this browser.
        </p>
      ) : null}
      <button type="button" className="button button-ghost" onClick={onDisconnect}>
        Disconnect
      </button>
    </>
  );
}

function WalletChoices(props: {
  network: BtcNetworkName;
  connecting: boolean;
  onConnect: (kind: WalletKind) => void;
}) {
  const { network, connecting, onConnect } = props;
  return (
    <>
      <p className="muted">zkUSD is set to {networkLabel(network)}.</p>
      <button
        type="button"
        className="button"
        disabled={connecting}
        onClick={() => onConnect("sats-connect")}
        data-testid="connect-sats-connect"
      >
        Browser wallet (Xverse or compatible)
      </button>
      {network === "regtest" ? (
        <button
          type="button"
          className="button button-ghost"
          disabled={connecting}
          onClick={() => onConnect("dev")}
          data-testid="connect-dev-wallet"
        >
          Dev wallet (regtest only)
        </button>
      ) : null}
      <p className="muted small">
        No wallet yet?{" "}
        <a href="https://www.xverse.app/download" target="_blank" rel="noreferrer">
          Install Xverse
        </a>
        .
      </p>
    </>
  );
}

/** Regtest only: 1 test BTC from the devnet faucet, confirmed by mining one block. */
function DevFaucet({ address }: { address: string }) {
  const esplora = useEsploraUrl();
  const queryClient = useQueryClient();
  const [state, setState] = useState<{ busy: boolean; message: string | null }>({
    busy: false,
    message: null,
  });
  return (
    <div className="wallet-line">
      <button
        type="button"
        className="button button-ghost button-small"
        disabled={state.busy}
        data-testid="dev-faucet"
        onClick={async () => {
          setState({ busy: true, message: null });
          try {
            await devnetFund(esplora, address, 100_000_000n);
            await queryClient.invalidateQueries({ queryKey: queryKeys.chain.all });
            setState({ busy: false, message: "Received 1 test BTC (confirmed)." });
          } catch (error) {
            setState({
              busy: false,
              message: `The local chain's faucet did not answer (${(error as Error).message}). Is the devnet running (npm start)?`,
            });
          }
        }}
      >
        {state.busy ? "Requesting…" : "Get 1 test BTC"}
      </button>
      {state.message ? (
        <span role="status" className="small">
          {" "}
          {state.message}
        </span>
      ) : null}
    </div>
  );
}
