/**
 * Hash routing (`#/vault`): works from any static host and offline, with no server rewrites.
 * The screen list lives in screens.tsx; this file only reads and follows the location.
 */
import { useSyncExternalStore } from "react";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The current path after `#`, always starting with "/" ("/" when empty). */
export function currentPath(): string {
  const path = window.location.hash.replace(/^#/, "");
  return path.startsWith("/") ? path : "/";
}

export function useCurrentPath(): string {
  return useSyncExternalStore(subscribe, currentPath, () => "/");
}

export const hrefFor = (path: string): string => `#${path}`;
