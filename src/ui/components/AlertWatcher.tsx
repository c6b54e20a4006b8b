/**
 * Alerts that reach the user (src/client/alerts.ts): on every block the engine applies, the system's
 * TCR and mode and the connected account's vault ratio go through the monitoring rules; a rule that
 * fires becomes a toast and, when the user turned browser notifications on (a user gesture:
 * `AlertsToggle`), a notification — also with the tab in the background. Payouts that become settled
 * are told as a toast too. Renders nothing itself.
 */

import { useEffect, useRef, useState } from "react";
import {
  browserNotificationsSupported,
  formatBtc,
  humanAlert,
  Monitor,
  notifyBrowser,
  requestNotificationPermission,
  userAlertRules,
  userAlertSamples,
} from "../../client/index.ts";
import { SATOSHI } from "../../protocol/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { useSyncSetup } from "../engine/sync.ts";
import { useEsploraUrl } from "../queries/bitcoin.ts";
import { useAccountCustody } from "../queries/engine.ts";
import { syncGateOf } from "../queries/readiness.ts";
import { explorerTxUrl, useSettings } from "../state/settings-store.ts";
import { toast } from "../state/toast-store.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

const ENABLED_KEY = "zkusd.alerts";
const notificationsOn = () => {
  try {
    return localStorage.getItem(ENABLED_KEY) === "on";
  } catch {
    return false;
  }
};

export function AlertWatcher() {
  const owner = useAccountId();
  useUserAlerts(owner);
  useSettlementToasts(owner);
  return null;
}

/** The user's alert rules, checked at each block once the engine is current: a toast (and a notification) each. */
function useUserAlerts(owner: string | undefined) {
  const engine = useEngine();
  useEffect(() => {
    let stopped = false;
    let unsubscribe: (() => void) | undefined;
    let monitor: Monitor | undefined;
    let running = false;
    // A check skipped while the engine was behind the tip: the next status notice asks again.
    let deferred = false;
    const check = async () => {
      if (stopped || running) return;
      running = true;
      try {
        // Alerts speak of the chain now: a state behind the tip (catching up) is an older one's.
        deferred = !syncGateOf(useSyncSetup.getState(), await engine.status()).ready;
        if (deferred) return;
        const info = await engine.init();
        monitor ??= new Monitor({ rules: userAlertRules(info.params) });
        const summary = await engine.summary();
        const vault = owner ? (await engine.position(owner)).vault : null;
        const icr = vault && vault.status === "active" ? vault.icr : null;
        const events = await monitor.record(userAlertSamples(summary, icr, Date.now()));
        for (const raw of events) {
          if (raw.type !== "fired" || stopped) continue;
          const event = humanAlert(raw);
          toast({
            kind: `alert:${event.alert.ruleId}`,
            tone: "warn",
            text: `${event.alert.title}. ${event.alert.description}`,
          });
          if (notificationsOn()) notifyBrowser(event);
        }
      } catch {
        // No engine yet (starting, offline): the next block asks again.
      } finally {
        running = false;
      }
    };
    void engine
      .subscribe((n) => {
        if (n.type !== "status" || deferred) void check();
      })
      .then(
        (u) => {
          if (stopped) u();
          else unsubscribe = u;
        },
        () => undefined,
      );
    void check();
    return () => {
      stopped = true;
      unsubscribe?.();
    };
  }, [engine, owner]);
}

/** Settlement: a payout seen owed that is now settled. */
function useSettlementToasts(owner: string | undefined) {
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  const custody = useAccountCustody(owner, network);
  const owed = useRef<Set<string> | null>(null);
  useEffect(() => {
    const c = custody.data;
    if (!c) return;
    if (owed.current) {
      for (const o of c.settled) {
        if (!owed.current.has(o.id)) continue;
        toast({
          kind: "settled",
          tone: "ok",
          text: `Your payout of ${formatBtc(o.sats * SATOSHI)} is settled: the BTC is in your wallet.`,
          ...(o.settledBy
            ? { link: { href: explorerTxUrl(network, esploraUrl, o.settledBy), label: "View settlement" } }
            : {}),
        });
      }
    }
    owed.current = new Set(c.owed.map((o) => o.id));
  }, [custody.data, network, esploraUrl]);
}

/** Turns browser notifications on or off (asks the browser's permission: a click, a user gesture). */
export function AlertsToggle() {
  const [on, setOn] = useState(notificationsOn);
  const [note, setNote] = useState<string | null>(null);
  if (!browserNotificationsSupported())
    return <p className="muted">This browser cannot show notifications; alerts appear in the page only.</p>;
  return (
    <div className="alerts-toggle" data-testid="alerts-toggle" data-on={on ? "yes" : "no"}>
      <p>
        {on
          ? "Browser notifications are on: you are told when your vault nears the minimum ratio or the system nears recovery mode, also while this tab is in the background."
          : "Turn on browser notifications to be told when your vault nears the minimum ratio or the system nears recovery mode, also while this tab is in the background."}
      </p>
      <button
        type="button"
        className="button button-small"
        data-testid="alerts-button"
        onClick={async () => {
          if (on) {
            localStorage.setItem(ENABLED_KEY, "off");
            setOn(false);
            setNote(null);
            return;
          }
          const permission = await requestNotificationPermission();
          if (permission === "granted") {
            localStorage.setItem(ENABLED_KEY, "on");
            setOn(true);
            setNote(null);
          } else {
            setNote(
              permission === "denied"
                ? "Notifications are blocked for this site: allow them in the browser's site settings, then try again."
                : "Notifications were not allowed. Alerts still appear in the page.",
            );
          }
        }}
      >
        {on ? "Turn notifications off" : "Turn on notifications"}
      </button>
      {note ? (
        <p className="notice notice-warn" role="status">
          {note}
        </p>
      ) : null}
    </div>
  );
}
