/**
 * The screens of docs/decisions.md §8, in navigation order. The dashboard ships in the first load; every other
 * screen is its own lazily loaded chunk, so growing a screen never grows the first load.
 */
import { type ComponentType, type LazyExoticComponent, lazy } from "react";
import { DashboardPage } from "./pages/DashboardPage.tsx";

export interface Screen {
  id: string;
  path: string;
  /** Navigation label and page title. */
  title: string;
  component: ComponentType | LazyExoticComponent<ComponentType>;
}

const page = (load: () => Promise<{ default: ComponentType }>) => lazy(load);

export const SCREENS: readonly Screen[] = [
  { id: "dashboard", path: "/", title: "Dashboard", component: DashboardPage },
  { id: "vault", path: "/vault", title: "Vault", component: page(() => import("./pages/VaultPage.tsx")) },
  {
    id: "pool",
    path: "/pool",
    title: "Stability pool",
    component: page(() => import("./pages/StabilityPoolPage.tsx")),
  },
  { id: "redeem", path: "/redeem", title: "Redeem", component: page(() => import("./pages/RedeemPage.tsx")) },
  {
    id: "liquidations",
    path: "/liquidations",
    title: "Liquidations",
    component: page(() => import("./pages/LiquidationsPage.tsx")),
  },
  {
    id: "governance",
    path: "/governance",
    title: "Governance",
    component: page(() => import("./pages/GovernancePage.tsx")),
  },
  {
    id: "activity",
    path: "/activity",
    title: "Activity",
    component: page(() => import("./pages/ActivityPage.tsx")),
  },
  { id: "prices", path: "/prices", title: "Prices", component: page(() => import("./pages/PricesPage.tsx")) },
  { id: "health", path: "/health", title: "Health", component: page(() => import("./pages/HealthPage.tsx")) },
  {
    id: "settings",
    path: "/settings",
    title: "Settings",
    component: page(() => import("./pages/SettingsPage.tsx")),
  },
  { id: "backup", path: "/backup", title: "Backup", component: page(() => import("./pages/BackupPage.tsx")) },
];

/** The screen for a path; unknown paths get null (the shell shows "page not found"). */
export function screenForPath(path: string): Screen | null {
  return SCREENS.find((screen) => screen.path === path) ?? null;
}
