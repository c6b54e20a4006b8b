/**
 * After a reload: the flows that were running when the page went away (src/client/tx/journal.ts).
 * One whose operation was broadcast is followed here until the app's engine applies (or refuses) its
 * spell, with a toast when it confirms; one stopped before its operation was sent is reported
 * plainly (which step, nothing sent). Each notice stays until dismissed.
 */

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { shortHex } from "../../client/index.ts";
import {
  appJournal,
  type FlowRecord,
  flowsHeldByTabs,
  holdingFlowLock,
  recoveryOf,
  waitForSpell,
} from "../../client/tx/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { useEsploraUrl } from "../queries/bitcoin.ts";
import { queryKeys } from "../queries/keys.ts";
import { explorerTxUrl, useSettings } from "../state/settings-store.ts";
import { toast } from "../state/toast-store.ts";

export function FlowRecovery() {
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  const [records, setRecords] = useRecoveredFlows();

  const shown = records.filter((r) => !r.dismissed);
  if (shown.length === 0) return null;
  const dismiss = async (r: FlowRecord) => {
    const next = { ...r, dismissed: true };
    setRecords((list) => list.map((x) => (x.id === r.id ? next : x)));
    await (await appJournal())?.put(next);
  };
  return (
    <section className="card" aria-label="Interrupted by a reload" data-testid="flow-recovery">
      <h2>Transactions from before the reload</h2>
      <ul className="plain-list">
        {shown.map((r) => (
          <li key={r.id} data-testid="recovered-flow" data-state={r.state}>
            <strong>{r.title}</strong>{" "}
            {r.state === "running" && r.sent.operation ? (
              <span role="status">
                was sent before the reload (
                <a
                  href={explorerTxUrl(network, esploraUrl, r.sent.operation)}
                  target="_blank"
                  rel="noreferrer"
                >
                  <code>{shortHex(r.sent.operation, 8)}</code>
                </a>
                ); waiting for a block and for this app's engine to apply it…
              </span>
            ) : r.state === "confirmed" ? (
              <span>was sent before the reload and is now {r.outcome?.toLowerCase()}</span>
            ) : (
              <span>{r.outcome}</span>
            )}{" "}
            {r.state !== "running" ? (
              <button
                type="button"
                className="button button-ghost button-small"
                onClick={() => void dismiss(r)}
              >
                Dismiss
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

type Save = (r: FlowRecord) => Promise<void>;

/**
 * Once per page: the journal's flows no tab holds (orphans of a reload) and the notices not yet
 * dismissed. An orphan stopped before its operation was sent is reported; a broadcast one is followed.
 */
function useRecoveredFlows() {
  const engine = useEngine();
  const queryClient = useQueryClient();
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  const [records, setRecords] = useState<FlowRecord[]>([]);
  // Read when a toast is made: the recovery itself runs once per page, whatever the settings do.
  const links = useRef({ network, esploraUrl });
  links.current = { network, esploraUrl };

  useEffect(() => {
    let cancelled = false;
    const save: Save = async (r) => {
      await (await appJournal())?.put(r);
      if (!cancelled) setRecords((list) => list.map((x) => (x.id === r.id ? r : x)));
    };
    const confirmed = async () => {
      engine.refresh(); // the preview copy reloads the state with it
      await queryClient.invalidateQueries({ queryKey: queryKeys.engine.all });
    };
    void (async () => {
      const journal = await appJournal();
      if (!journal) return;
      const held = await flowsHeldByTabs();
      const all = await journal.list();
      const orphans = all
        .filter((r) => r.state === "running" && !held.has(r.id))
        .map((r) => ({ ...r, recovered: true }));
      // Notices from an earlier reload stay until dismissed.
      const earlier = all.filter((r) => r.recovered && !r.dismissed && r.state !== "running");
      if (cancelled || orphans.length + earlier.length === 0) return;
      setRecords([...orphans, ...earlier]);
      for (const r of orphans) {
        const recovery = recoveryOf(r);
        if (recovery.kind === "report") {
          await save({ ...r, state: "interrupted", outcome: recovery.sentence, updatedAt: Date.now() });
          continue;
        }
        // Broadcast before the reload: follow it to the engine's verdict, holding the flow's lock.
        const link = (txid: string) => explorerTxUrl(links.current.network, links.current.esploraUrl, txid);
        void holdingFlowLock(r.id, () => followBroadcast(engine, r, recovery.txid, save, link, confirmed));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [engine, queryClient]);
  return [records, setRecords] as const;
}

/** Waits for the engine's verdict on a flow's broadcast operation, records it and says it in a toast. */
async function followBroadcast(
  engine: ReturnType<typeof useEngine>,
  r: FlowRecord,
  txid: string,
  save: Save,
  link: (txid: string) => string,
  confirmed: () => Promise<void>,
) {
  await engine.trackPending(txid).catch(() => undefined);
  const outcome = await waitForSpell(engine, txid, r.height + 1).catch(
    (error: unknown) =>
      ({
        ok: false,
        gone: true,
        reason: `The engine could not be asked (${String(error)}).`,
      }) as const,
  );
  const now = Date.now();
  if (outcome.ok) {
    await save({
      ...r,
      state: "confirmed",
      confirmedHeight: outcome.height,
      outcome: `Confirmed in block ${outcome.height}.`,
      updatedAt: now,
    });
    toast({
      kind: "confirmed",
      tone: "ok",
      text: `${r.title}: confirmed in block ${outcome.height}.`,
      link: { href: link(txid), label: "View transaction" },
    });
    await confirmed();
  } else {
    await save({ ...r, state: "failed", outcome: outcome.reason, updatedAt: now });
    toast({ kind: "failed", tone: "danger", text: `${r.title}: ${outcome.reason}` });
  }
}
