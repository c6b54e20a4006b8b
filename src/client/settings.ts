/**
 * The guardian federation as the user set it (Settings screen; the screens keep the settings in
 * src/ui/state/settings-store.ts): what the transaction flow and the drafts need from the settings.
 */

export interface GuardianSettings {
  /** Guardian daemon URLs (federation, price attestations, custody view). */
  urls: string[];
  /** Compressed public keys (66 hex characters each), as the federation publishes them. */
  keys: string[];
  /** Signatures required (k of n). */
  threshold: number;
}

export type FeePreset = "fastest" | "halfHour" | "hour" | "economy";
