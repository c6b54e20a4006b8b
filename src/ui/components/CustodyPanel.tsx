/**
 * Custody on the health screen (docs/custody.md "What a user sees"): the invariant status at the
 * engine's height and the custody events this browser's own replay recorded (breaches, missed rolls,
 * reorg losses, overdue payouts), newest first, each with its block and transaction.
 */
import { useQuery } from "@tanstack/react-query";
import { CUSTODY_EVENT_TYPES, custodyEventLine, custodyStatus, shortHex } from "../../client/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { useEsploraUrl } from "../queries/bitcoin.ts";
import { explorerTxUrl, useSettings } from "../state/settings-store.ts";

export function CustodyPanel({ height }: { height: number }) {
  const engine = useEngine();
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  // Under the "engine" key: every block notice refetches it.
  const events = useQuery({
    queryKey: ["engine", "custodyEvents"],
    queryFn: () => engine.events({ types: CUSTODY_EVENT_TYPES, limit: 100, order: "desc" }),
  });
  if (!events.data) return null;
  const status = custodyStatus(events.data.events, height);
  const lines = events.data.events.flatMap((e) => custodyEventLine(e) ?? []);
  return (
    <section className="card" aria-labelledby="custody-title" data-testid="custody">
      <h2 id="custody-title">Custody</h2>
      <p data-testid="custody-status" data-ok={status.ok} className={status.ok ? undefined : "error"}>
        {status.text}
      </p>
      {lines.length === 0 ? (
        <p className="muted">No custody breach, missed roll, reorg loss or overdue payout recorded.</p>
      ) : (
        <ul className="plain-list" data-testid="custody-events">
          {lines.map((l) => (
            <li key={`${l.height}:${l.txid}:${l.label}:${l.text}`} data-severity={l.severity}>
              <strong>{l.label}</strong> at block {l.height}
              {l.txid ? (
                <>
                  {" "}
                  (
                  <a href={explorerTxUrl(network, esploraUrl, l.txid)} target="_blank" rel="noreferrer">
                    {shortHex(l.txid)}
                  </a>
                  )
                </>
              ) : null}
              : {l.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
