/** UI-only state (not protocol data): theme choice and the phone navigation drawer. */
import { useSyncExternalStore } from "react";
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";

export type Theme = "dark" | "light";

interface UiState {
  /** The user's explicit choice; null follows the operating system. */
  theme: Theme | null;
  navOpen: boolean;
  setTheme: (theme: Theme | null) => void;
  setNavOpen: (open: boolean) => void;
}

export const useUiStore = create<UiState>()(
  persist(
    (set) => ({
      theme: null,
      navOpen: false,
      setTheme: (theme) => set({ theme }),
      setNavOpen: (navOpen) => set({ navOpen }),
    }),
    {
      name: "zkusd.ui",
      storage: createJSONStorage(() => localStorage),
      partialize: (state) => ({ theme: state.theme }),
    },
  ),
);

const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribeSystemTheme(onChange: () => void): () => void {
  const media = window.matchMedia(DARK_QUERY);
  media.addEventListener("change", onChange);
  return () => media.removeEventListener("change", onChange);
}

const systemTheme = (): Theme => (window.matchMedia(DARK_QUERY).matches ? "dark" : "light");

/** The theme in effect: the user's choice, else the system's. */
export function useResolvedTheme(): Theme {
  const chosen = useUiStore((state) => state.theme);
  const system = useSyncExternalStore(subscribeSystemTheme, systemTheme, () => "dark" as const);
  return chosen ?? system;
}
