/** Switches between the dark and light themes; the choice is remembered in this browser. */
import { useResolvedTheme, useUiStore } from "../state/ui-store.ts";

export function ThemeToggle() {
  const theme = useResolvedTheme();
  const setTheme = useUiStore((state) => state.setTheme);
  const next = theme === "dark" ? "light" : "dark";
  return (
    <button
      type="button"
      className="button button-ghost"
      onClick={() => setTheme(next)}
      data-testid="theme-toggle"
    >
      <span aria-hidden="true">{theme === "dark" ? "☀" : "☾"}</span>{" "}
      <span className="theme-toggle-label">Switch to {next} theme</span>
    </button>
  );
}
