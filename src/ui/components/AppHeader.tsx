/** Top bar: brand, the phone menu button and the theme switch. */
import { hrefFor } from "../router.ts";
import { useUiStore } from "../state/ui-store.ts";
import { ThemeToggle } from "./ThemeToggle.tsx";

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
      <span className="badge badge-warn" title="Local development setup: not real money">
        Dev network
      </span>
      <div className="header-actions">
        <ThemeToggle />
      </div>
    </header>
  );
}
