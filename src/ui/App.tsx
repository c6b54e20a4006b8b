/** The app shell: header, screen navigation and the current screen. */
import { Suspense, useEffect, useRef } from "react";
import { AlertWatcher } from "./components/AlertWatcher.tsx";
import { AppHeader } from "./components/AppHeader.tsx";
import { FlowRecovery } from "./components/FlowRecovery.tsx";
import { OfflineBanner } from "./components/OfflineBanner.tsx";
import { ScreenNavigation } from "./components/ScreenNavigation.tsx";
import { Toasts } from "./components/Toasts.tsx";
import { hrefFor, useCurrentPath } from "./router.ts";
import { screenForPath } from "./screens.tsx";
import { useResolvedTheme, useUiStore } from "./state/ui-store.ts";

export function App() {
  const path = useCurrentPath();
  const screen = screenForPath(path);
  const theme = useResolvedTheme();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    const current = screenForPath(path);
    document.title = current ? `${current.title} · zkUSD` : "Page not found · zkUSD";
    // After navigating (not on first load), move focus to the new screen for keyboard and screen readers.
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [path]);

  useCloseNavigationOnEscape();

  const Screen = screen?.component;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader />
      <div className="app-body">
        <ScreenNavigation currentPath={path} />
        <main id="main" ref={mainRef} tabIndex={-1}>
          <OfflineBanner />
          <FlowRecovery />
          {Screen ? (
            <Suspense
              fallback={
                <p className="card loading" role="status">
                  Loading…
                </p>
              }
            >
              <Screen />
            </Suspense>
          ) : (
            <section className="page" aria-labelledby="page-title">
              <h1 id="page-title">Page not found</h1>
              <p>
                There is no screen at <code>{path}</code>. Go to the <a href={hrefFor("/")}>dashboard</a>.
              </p>
            </section>
          )}
        </main>
      </div>
      <Toasts />
      <AlertWatcher />
      <footer className="app-footer muted">
        zkUSD runs its protocol engine in your browser. Custody is federated: a guardian quorum signs every
        movement of vault BTC.
      </footer>
    </div>
  );
}

function useCloseNavigationOnEscape() {
  const navOpen = useUiStore((state) => state.navOpen);
  const setNavOpen = useUiStore((state) => state.setNavOpen);
  useEffect(() => {
    if (!navOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setNavOpen(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navOpen, setNavOpen]);
}
