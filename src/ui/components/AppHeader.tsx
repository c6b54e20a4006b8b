/** Top bar: brand, the phone menu button, the network, the wallet and the theme switch. */
import { hrefFor } from "../router.ts";
import { useSettings } from "../state/settings-store.ts";
import { useUiStore } from "../state/ui-store.ts";
import { HeaderBalances } from "./HeaderBalances.tsx";
import { ThemeToggle } from "./ThemeToggle.tsx";
import { WalletButton } from "./WalletButton.tsx";

export function AppHeader() {
  const navOpen = useUiStore((state) => state.navOpen);
  const setNavOpen = useUiStore((state) => state.setNavOpen);
  return (
    <header className="app-header">
      <button
        type="button"
        className="button button-ghost menu-button"
        aria-expanded={navOpen}
        aria-controls="screen-navigation"
        onClick={() => setNavOpen(!navOpen)}
      >
        {navOpen ? "Close menu" : "Menu"}
      </button>
      <a className="brand" href={hrefFor("/")}>
        <img src="/favicon.svg" alt="" width="28" height="28" />
        <span>zkUSD</span>
      </a>
      <NetworkBadge />
      <HeaderBalances />
      <div className="header-actions">
        <WalletButton />
        <ThemeToggle />
      </div>
    </header>
  );
}

function NetworkBadge() {
  const network = useSettings((state) => state.network);
  return network === "mainnet" ? (
    <span className="badge badge-ready">Mainnet</span>
  ) : (
    <span className="badge badge-warn" title="Test network: not real money" data-testid="network-badge">
      {network === "regtest" ? "Dev network (regtest)" : network}
    </span>
  );
}
