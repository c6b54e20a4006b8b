/** The list of screens: a sidebar on wide screens, a drawer opened from the header on phones. */
import { hrefFor } from "../router.ts";
import { SCREENS } from "../screens.tsx";
import { useUiStore } from "../state/ui-store.ts";

export function ScreenNavigation({ currentPath }: { currentPath: string }) {
  const open = useUiStore((state) => state.navOpen);
  const setNavOpen = useUiStore((state) => state.setNavOpen);
  return (
    <nav id="screen-navigation" className={open ? "nav nav-open" : "nav"} aria-label="Screens">
      <ul>
        {SCREENS.map((screen) => (
          <li key={screen.id}>
            <a
              href={hrefFor(screen.path)}
              aria-current={screen.path === currentPath ? "page" : undefined}
              onClick={() => setNavOpen(false)}
            >
              {screen.title}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
