/**
 * Where the app connects: Bitcoin network, Esplora API, the exchanges the browser reads prices
 * from, and the guardian federation. Changes apply when saved; each field says what an empty value
 * means. Also states plainly what the development proving setup is.
 */

import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import {
  BTC_NETWORKS,
  type BtcNetworkName,
  DEFAULT_ESPLORA_URLS,
  originOf,
  SOURCE_IDS,
  SOURCES,
  type SourceId,
} from "../../client/index.ts";
import { type CapsText, capsText, HostCapsFields, parseCaps } from "../components/HostCapsFields.tsx";
import { useSyncSetup } from "../engine/sync.ts";
import { DEV_PRICE_FEED_URL } from "../queries/prices.ts";
import {
  EXPLORER_DEFAULTS,
  esploraLimitsSet,
  esploraUrlFor,
  type PriceSourceSetting,
  type Settings,
  useSettings,
} from "../state/settings-store.ts";
import { networkLabel, useWalletStore } from "../wallet/wallet-store.ts";

const KEY_RE = /^(02|03)[0-9a-f]{64}$/i;

function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter(Boolean);
}

function checkUrl(text: string, schemes: string[]): string | null {
  if (!text.trim()) return null;
  try {
    const u = new URL(text.trim());
    return schemes.includes(u.protocol) ? null : `use ${schemes.join(" or ")} URLs`;
  } catch {
    return "not a valid URL";
  }
}

/** The form as typed, before it is checked and saved. */
interface Draft {
  network: BtcNetworkName;
  esplora: string;
  esploraCheck: string;
  explorer: string;
  sources: Record<SourceId, PriceSourceSetting>;
  guardianUrls: string;
  guardianKeys: string;
  threshold: string;
  /** Request caps as typed, per host (the fields follow the Esplora URL typed above). */
  caps: Record<string, CapsText>;
}

type Edit = (patch: Partial<Draft>) => void;

function draftOf(settings: Settings): Draft {
  return {
    network: settings.network,
    esplora: settings.esploraUrls[settings.network] ?? "",
    esploraCheck: settings.esploraCheckUrls?.[settings.network] ?? "",
    explorer: settings.explorerUrls?.[settings.network] ?? "",
    sources: Object.fromEntries(
      SOURCE_IDS.map((id) => [
        id,
        settings.priceSources[id] ?? { enabled: true, baseUrl: "", streamUrl: "" },
      ]),
    ) as Record<SourceId, PriceSourceSetting>,
    guardianUrls: settings.guardians.urls.join("\n"),
    guardianKeys: settings.guardians.keys.join("\n"),
    threshold: String(settings.guardians.threshold),
    caps: {},
  };
}

/** The draft checked: what blocks saving, and the values a save writes. */
function checkDraft(d: Draft, settings: Settings) {
  const problems: string[] = [];
  const esploraProblem = checkUrl(d.esplora, ["http:", "https:"]);
  if (esploraProblem) problems.push(`Esplora URL: ${esploraProblem}.`);
  const esploraCheckProblem = checkUrl(d.esploraCheck, ["http:", "https:"]);
  if (esploraCheckProblem) problems.push(`Second Esplora URL: ${esploraCheckProblem}.`);
  if (d.explorer.trim() && !d.explorer.includes("{txid}"))
    problems.push("Block explorer link: it must contain {txid} where the transaction id goes.");
  else if (d.explorer.trim() && !d.explorer.trim().startsWith("{esplora}")) {
    const p = checkUrl(d.explorer.replaceAll("{txid}", "0"), ["http:", "https:"]);
    if (p) problems.push(`Block explorer link: ${p}.`);
  }
  const esploraInEffect = d.esplora.trim() || DEFAULT_ESPLORA_URLS[d.network];
  const capsOrigin = originOf(esploraInEffect);
  const typedCaps = d.caps[capsOrigin] ?? capsText(esploraLimitsSet(settings, esploraInEffect));
  const newCaps = parseCaps(typedCaps);
  for (const p of newCaps.problems) problems.push(`Esplora requests, ${p}.`);
  for (const id of SOURCE_IDS) {
    const rest = checkUrl(d.sources[id].baseUrl, ["http:", "https:"]);
    const ws = checkUrl(d.sources[id].streamUrl, ["ws:", "wss:"]);
    if (rest) problems.push(`${SOURCES[id].name} REST URL: ${rest}.`);
    if (ws) problems.push(`${SOURCES[id].name} stream URL: ${ws}.`);
  }
  for (const u of lines(d.guardianUrls)) {
    const p = checkUrl(u, ["http:", "https:"]);
    if (p) problems.push(`Guardian URL ${u}: ${p}.`);
  }
  const keys = lines(d.guardianKeys);
  for (const k of keys)
    if (!KEY_RE.test(k))
      problems.push(`Guardian key ${k.slice(0, 12)}…: expected 66 hex characters starting 02 or 03.`);
  const k = Number(d.threshold);
  if (!Number.isInteger(k) || k < 1 || (keys.length > 0 && k > keys.length))
    problems.push(`Guardian threshold: a whole number from 1 to ${Math.max(1, keys.length)}.`);
  if (SOURCE_IDS.filter((id) => d.sources[id].enabled).length < 3)
    problems.push("Price sources: enable at least 3 (the price needs 3 agreeing sources).");
  return { problems, esploraInEffect, capsOrigin, typedCaps, newCaps, keys, k };
}

/**
 * Saves a checked draft; answers what to tell the user (a change to what the engine worker follows
 * needs a reload: it is started once per page with its chain and federation, engine/sync.ts).
 */
function saveDraft(d: Draft, checked: ReturnType<typeof checkDraft>, settings: Settings & SettingsUpdate) {
  const { esploraInEffect, capsOrigin, newCaps, keys, k } = checked;
  const network = d.network;
  const patch: Partial<Settings> = {
    network,
    esploraUrls: { ...settings.esploraUrls, [network]: d.esplora.trim() },
    esploraCheckUrls: { ...settings.esploraCheckUrls, [network]: d.esploraCheck.trim() },
    explorerUrls: { ...settings.explorerUrls, [network]: d.explorer.trim() },
    esploraLimits: { ...settings.esploraLimits, [capsOrigin]: newCaps.limits },
    priceSources: d.sources,
    guardians: { urls: lines(d.guardianUrls), keys: keys.map((x) => x.toLowerCase()), threshold: k },
  };
  const followChanged =
    network !== settings.network ||
    esploraUrlFor({ esploraUrls: patch.esploraUrls ?? {} }, network) !== esploraUrlFor(settings, network) ||
    d.esploraCheck.trim() !== (settings.esploraCheckUrls?.[network] ?? "").trim() ||
    JSON.stringify(newCaps.limits) !== JSON.stringify(esploraLimitsSet(settings, esploraInEffect)) ||
    JSON.stringify(patch.guardians) !== JSON.stringify(settings.guardians);
  settings.update(patch);
  return followChanged
    ? "Saved. Reload the page to follow the chain with the new network, Esplora URL, request caps or guardians."
    : "Saved. The app now uses these settings.";
}

type SettingsUpdate = { update(patch: Partial<Settings>): void };

export default function SettingsPage() {
  const settings = useSettings();
  const queryClient = useQueryClient();
  const disconnect = useWalletStore((s) => s.disconnect);
  const [draft, setDraft] = useState<Draft>(() => draftOf(settings));
  const edit: Edit = (patch) => setDraft((d) => ({ ...d, ...patch }));
  const [saved, setSaved] = useState<string | null>(null);
  const checked = checkDraft(draft, settings);
  const { problems } = checked;

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length) return;
    if (draft.network !== settings.network) disconnect();
    const said = saveDraft(draft, checked, settings);
    void queryClient.invalidateQueries({ queryKey: ["chain"] });
    void queryClient.invalidateQueries({ queryKey: ["prices"] });
    setSaved(said);
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Settings</h1>
      </header>
      <div className="notice notice-warn" data-testid="dev-setup-warning">
        <strong>The proving keys are a development setup, not a trusted-setup ceremony.</strong> They were
        made on one machine by one process; whoever ran it could forge proofs. Use them for development and
        tests only. Custody is federated: a quorum of guardians signs every settlement that moves vault BTC.
      </div>
      <form className="settings" onSubmit={save} onChange={() => setSaved(null)}>
        <NetworkFields
          draft={draft}
          edit={edit}
          settings={settings}
          esploraInEffect={checked.esploraInEffect}
          typedCaps={checked.typedCaps}
          onCaps={(t) => edit({ caps: { ...draft.caps, [checked.capsOrigin]: t } })}
        />
        <PriceSourceFields draft={draft} edit={edit} />
        <GuardianFields draft={draft} edit={edit} />
        {problems.length ? (
          <div className="notice notice-danger" role="alert" data-testid="settings-problems">
            <strong>Fix these before saving:</strong>
            <ul>
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={problems.length > 0}
            data-testid="save-settings"
          >
            Save settings
          </button>
          {saved ? (
            <span role="status" data-testid="settings-saved">
              {saved}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}

/** Network, Esplora (with its request caps and a second server to cross-check) and the explorer link. */
function NetworkFields(props: {
  draft: Draft;
  edit: Edit;
  settings: Settings;
  esploraInEffect: string;
  typedCaps: CapsText;
  onCaps: (t: CapsText) => void;
}) {
  const { draft, edit, settings } = props;
  const { network } = draft;
  const ids = { network: useId(), esplora: useId(), esploraCheck: useId(), explorer: useId() };
  return (
    <fieldset className="card">
      <legend>Bitcoin network</legend>
      <NetworkSelect id={ids.network} draft={draft} edit={edit} settings={settings} />
      <div className="field">
        <label htmlFor={ids.esplora}>Esplora API URL</label>
        <input
          id={ids.esplora}
          value={draft.esplora}
          placeholder={DEFAULT_ESPLORA_URLS[network]}
          onChange={(e) => edit({ esplora: e.target.value })}
          data-testid="esplora-input"
        />
        <p className="field-hint">
          Empty: {DEFAULT_ESPLORA_URLS[network]}. Your own Esplora (electrs, or a mempool backend's /api) must
          allow this app's origin (CORS); requests to a public server are kept under its rate limits.
        </p>
      </div>
      <HostCapsFields url={props.esploraInEffect} text={props.typedCaps} onChange={props.onCaps} />
      <div className="field">
        <label htmlFor={ids.esploraCheck}>Second Esplora API URL (cross-check)</label>
        <input
          id={ids.esploraCheck}
          value={draft.esploraCheck}
          placeholder="none"
          onChange={(e) => edit({ esploraCheck: e.target.value })}
          data-testid="esplora-check-input"
        />
        <p className="field-hint">
          Optional. Every block is checked locally either way; with a second server the app also asks it for
          each block hash and stops syncing, saying which servers disagree, when they differ.
        </p>
      </div>
      <div className="field">
        <label htmlFor={ids.explorer}>Block explorer link</label>
        <input
          id={ids.explorer}
          value={draft.explorer}
          placeholder={EXPLORER_DEFAULTS[network]}
          onChange={(e) => edit({ explorer: e.target.value })}
          data-testid="explorer-input"
        />
        <p className="field-hint">
          Where transaction links open. <code>{"{txid}"}</code> is replaced by the transaction id and{" "}
          <code>{"{esplora}"}</code> by the Esplora URL above. Empty: {EXPLORER_DEFAULTS[network]}.
        </p>
      </div>
    </fieldset>
  );
}

/** Choosing a network brings back the URLs saved for it. */
function NetworkSelect(props: { id: string; draft: Draft; edit: Edit; settings: Settings }) {
  const { id, draft, edit, settings } = props;
  const { network } = draft;
  return (
    <div className="field">
      <label htmlFor={id}>Network</label>
      <select
        id={id}
        value={network}
        onChange={(e) => {
          const n = e.target.value as BtcNetworkName;
          edit({
            network: n,
            esplora: settings.esploraUrls[n] ?? "",
            esploraCheck: settings.esploraCheckUrls?.[n] ?? "",
            explorer: settings.explorerUrls?.[n] ?? "",
          });
        }}
        data-testid="network-select"
      >
        {BTC_NETWORKS.map((n) => (
          <option key={n} value={n}>
            {networkLabel(n)}
          </option>
        ))}
      </select>
      <p className="field-hint">
        Changing the network disconnects your wallet. The dev wallet works on regtest only.
      </p>
    </div>
  );
}

/** The exchanges the browser reads prices from: each on or off, with its REST and stream URLs. */
function PriceSourceFields({ draft, edit }: { draft: Draft; edit: Edit }) {
  const { sources, network } = draft;
  const setSource = (id: SourceId, patch: Partial<PriceSourceSetting>) =>
    edit({ sources: { ...sources, [id]: { ...sources[id], ...patch } } });
  return (
    <fieldset className="card">
      <legend>Price sources</legend>
      <p className="field-hint">
        Your browser reads BTC/USD from these exchanges itself and warns when the guardians' attested price
        differs. Empty URLs use the exchange's public API (on regtest, the local dev price feed). A proxy or
        your own relay is just another base URL.
      </p>
      <div className="sources">
        {SOURCE_IDS.map((id) => (
          <fieldset key={id} className="source" data-source={id}>
            <legend>
              <label>
                <input
                  type="checkbox"
                  checked={sources[id].enabled}
                  onChange={(e) => setSource(id, { enabled: e.target.checked })}
                />{" "}
                {SOURCES[id].name}
              </label>
            </legend>
            <label className="small">
              REST base URL
              <input
                value={sources[id].baseUrl}
                placeholder={network === "regtest" ? `${DEV_PRICE_FEED_URL}/${id}` : SOURCES[id].rest.baseUrl}
                onChange={(e) => setSource(id, { baseUrl: e.target.value })}
                data-testid={`source-${id}-rest`}
              />
            </label>
            <label className="small">
              Stream URL
              <input
                value={sources[id].streamUrl}
                placeholder="exchange default"
                onChange={(e) => setSource(id, { streamUrl: e.target.value })}
                data-testid={`source-${id}-stream`}
              />
            </label>
          </fieldset>
        ))}
      </div>
    </fieldset>
  );
}

/** The federation: its URLs, custody keys and threshold as saved, and as the guardians publish it. */
function GuardianFields({ draft, edit }: { draft: Draft; edit: Edit }) {
  const ids = { urls: useId(), keys: useId(), threshold: useId() };
  return (
    <fieldset className="card">
      <legend>Guardians</legend>
      <p className="field-hint">
        The federation that co-signs vault movements and signs prices. Its public keys go into every vault's
        custody script, so use the keys the federation publishes.
      </p>
      <div className="field">
        <label htmlFor={ids.urls}>Guardian URLs (one per line)</label>
        <textarea
          id={ids.urls}
          rows={3}
          value={draft.guardianUrls}
          onChange={(e) => edit({ guardianUrls: e.target.value })}
          data-testid="guardian-urls"
        />
      </div>
      <div className="field">
        <label htmlFor={ids.keys}>Guardian public keys (one per line)</label>
        <textarea
          id={ids.keys}
          rows={3}
          value={draft.guardianKeys}
          onChange={(e) => edit({ guardianKeys: e.target.value })}
          spellCheck={false}
          data-testid="guardian-keys"
        />
      </div>
      <div className="field">
        <label htmlFor={ids.threshold}>Signatures required</label>
        <input
          id={ids.threshold}
          inputMode="numeric"
          value={draft.threshold}
          onChange={(e) => edit({ threshold: e.target.value })}
          data-testid="guardian-threshold"
        />
        <p className="field-hint">k of the n keys above (2 of 3 on the dev network).</p>
      </div>
      <FederationPanel />
    </fieldset>
  );
}

/**
 * The federation as the guardians published it at this page load (engine/sync.ts). The first keys
 * learnt are saved and pinned (trust on first use); forgetting them is how a user accepts a real change.
 */
function FederationPanel() {
  const setup = useSyncSetup();
  const settings = useSettings();
  const forget = () => {
    settings.update({ guardians: { ...settings.guardians, keys: [] } });
    window.location.reload();
  };
  if (setup.state === "resolving")
    return <p className="muted small">Asking the guardians for the federation…</p>;
  if (setup.state === "offline")
    return (
      <div className="notice notice-warn" data-testid="federation" data-state="offline">
        <p>{setup.reason}</p>
        {settings.guardians.keys.length ? (
          <button type="button" className="button" onClick={forget} data-testid="forget-keys">
            Forget the saved keys and discover again
          </button>
        ) : null}
      </div>
    );
  const f = setup.federation;
  return (
    <div className="federation" data-testid="federation" data-state="following">
      <h3>Published by the guardians</h3>
      <p className="field-hint">
        {f.threshold} of {f.members.length} custody signatures, {f.oracleThreshold} of {f.members.length}{" "}
        price signatures; the protocol starts at block {f.startHeight} on {f.network}. These keys are saved
        above and pinned: if the guardians ever publish others, the app stops following them until you decide.
      </p>
      <ul className="io-list">
        {f.members.map((m) => (
          <li key={m.custodyKey} data-testid="federation-member">
            <span className="io-kind">{m.name}</span>
            <code title={m.custodyKey}>{m.custodyKey.slice(0, 12)}…</code>
            <span className="muted small">{m.url}</span>
          </li>
        ))}
      </ul>
      <button type="button" className="button button-ghost" onClick={forget} data-testid="forget-keys">
        Forget the saved keys and discover again
      </button>
    </div>
  );
}
