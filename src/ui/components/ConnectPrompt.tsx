/** Shown where a screen needs the user's account: why, and the buttons to connect. */
import { useSettings } from "../state/settings-store.ts";
import { networkLabel, useWalletStore } from "../wallet/wallet-store.ts";

export function ConnectPrompt({ why }: { why: string }) {
  const network = useSettings((s) => s.network);
  const { connect, connecting, error } = useWalletStore();
  return (
    <div className="card connect-prompt" data-testid="connect-prompt">
      <p>{why}</p>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          disabled={Boolean(connecting)}
          onClick={() => void connect("sats-connect", network)}
        >
          Connect a browser wallet
        </button>
        {network === "regtest" ? (
          <button
            type="button"
            className="button"
            disabled={Boolean(connecting)}
            onClick={() => void connect("dev", network)}
            data-testid="prompt-connect-dev"
          >
            Use the dev wallet (regtest only)
          </button>
        ) : null}
      </div>
      <p className="muted small">The app is set to {networkLabel(network)}; change it in Settings.</p>
      {error ? (
        <p className="notice notice-danger" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
