/**
 * How the app joins a network: the guardians configured in Settings publish the federation
 * (`fetchFederation`: k of them must agree), which gives the custody keys (vault scripts), the oracle
 * keys (attestations the indexer checks), where the protocol's history starts and the genesis
 * parameters. The engine worker then follows the chain through the Esplora URL from Settings.
 *
 * Keys saved in Settings are pinned: guardians publishing other keys stop the sync with an error
 * instead of silently changing the script the user's BTC is locked with. Settings changes apply on the
 * next page load (the worker is started once, with these settings).
 */

import { create } from "zustand";
import {
  type EngineStartOptions,
  fetchFederation,
  type PublishedFederation,
  type SyncSettings,
} from "../../client/index.ts";
import { DEFAULT_PARAMS, type Params } from "../../protocol/index.ts";
import { esploraLimitsSet, esploraUrlFor, type Settings, useSettings } from "../state/settings-store.ts";

export type SyncSetup =
  | { state: "resolving" }
  | { state: "following"; federation: PublishedFederation; esploraUrl: string }
  | { state: "offline"; reason: string };

/** What the app follows, for the header, the dashboard and Settings (not persisted). */
export const useSyncSetup = create<SyncSetup>()(() => ({ state: "resolving" }));

/** The genesis parameters: the defaults with the federation's published overrides (as the guardians do). */
export function paramsOf(federation: PublishedFederation): Params {
  const params = { ...DEFAULT_PARAMS } as Params;
  const fields = params as unknown as Record<string, bigint | boolean>;
  for (const [key, value] of Object.entries(federation.params)) {
    if (!(key in fields)) throw new Error(`the federation sets an unknown parameter ${key}`);
    fields[key] = typeof value === "boolean" ? value : BigInt(value);
  }
  return params;
}

const sameKeys = (a: string[], b: string[]) =>
  a.length === b.length && a.every((k, i) => k.toLowerCase() === b[i]!.toLowerCase());

/**
 * Resolves the engine's start options from Settings and the guardians. Never throws: a problem is
 * an `offline` setup with the reason, and the engine starts on the genesis state.
 */
export async function resolveEngineStart(settings: Settings = useSettings.getState()): Promise<{
  options: EngineStartOptions;
  setup: SyncSetup;
}> {
  const offline = (reason: string) => ({ options: {}, setup: { state: "offline", reason } as const });
  // Not even the sync settings stored by an earlier session: the keys they were made with are in doubt.
  const refuse = (reason: string) => ({
    options: { follow: false },
    setup: { state: "offline", reason } as const,
  });
  const urls = settings.guardians.urls.map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0)
    return offline(
      "No guardian is configured for this network, so the app does not know the federation and shows the genesis state. Add guardian URLs in Settings → Guardians.",
    );
  let federation: PublishedFederation;
  try {
    federation = await fetchFederation(urls);
  } catch (error) {
    return offline((error as Error).message);
  }
  if (federation.network !== settings.network)
    return offline(
      `The guardians serve ${federation.network}, but the app is set to ${settings.network}. Choose the matching network or guardians in Settings.`,
    );
  const published = federation.members.map((m) => m.custodyKey);
  const pinned = settings.guardians.keys.map((k) => k.trim()).filter(Boolean);
  if (
    pinned.length > 0 &&
    (!sameKeys(pinned, published) || settings.guardians.threshold !== federation.threshold)
  )
    return refuse(
      "The guardians now publish custody keys (or a threshold) different from the ones saved in Settings. The app does not follow them: vault scripts depend on these keys. If the federation really changed, clear the saved keys in Settings → Guardians and discover again.",
    );
  if (pinned.length === 0)
    useSettings.getState().update({ guardians: { urls, keys: published, threshold: federation.threshold } });
  let params: Params;
  try {
    params = paramsOf(federation);
  } catch (error) {
    return offline(`The guardians' federation cannot be used: ${(error as Error).message}.`);
  }
  const esploraUrl = esploraUrlFor(settings, settings.network);
  const secondEsploraUrl = settings.esploraCheckUrls?.[settings.network]?.trim();
  const esploraLimits = esploraLimitsSet(settings, esploraUrl);
  const secondEsploraLimits = secondEsploraUrl ? esploraLimitsSet(settings, secondEsploraUrl) : {};
  const sync: SyncSettings = {
    esploraUrl,
    network: settings.network,
    ...(secondEsploraUrl ? { secondEsploraUrl } : {}),
    ...(Object.keys(esploraLimits).length ? { esploraLimits } : {}),
    ...(Object.keys(secondEsploraLimits).length ? { secondEsploraLimits } : {}),
    startHeight: federation.startHeight,
    oracleKeys: {
      keys: federation.members.map((m) => m.oracleKey),
      threshold: federation.oracleThreshold,
    },
    custody: {
      network: settings.network,
      csvBlocks: federation.csvBlocks,
      guardians: { keys: published, threshold: federation.threshold },
    },
    // A local chain answers at once, has no host's rate limit to spare, and blocks come when someone
    // mines them: poll it often, idle or not (at most 5 s apart), and a hidden tab every 10 s.
    ...(settings.network === "regtest" ? { pollMs: 1_000, maxPollMs: 5_000, hiddenPollMs: 10_000 } : {}),
  };
  return { options: { params, sync }, setup: { state: "following", federation, esploraUrl } };
}
