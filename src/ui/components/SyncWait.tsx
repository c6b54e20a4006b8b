/** A form's notice while this browser's engine is behind the chain: why it waits, with the heights. */
import { type SyncGate, syncGateSentence } from "../queries/readiness.ts";

export function SyncWait({ gate }: { gate: SyncGate }) {
  if (gate.ready) return null;
  return (
    <p
      className="notice notice-warn"
      role="status"
      data-testid="sync-wait"
      data-reason={gate.reason}
      data-height={gate.height ?? ""}
      data-tip={gate.tip ?? ""}
    >
      {syncGateSentence(gate)}
    </p>
  );
}
