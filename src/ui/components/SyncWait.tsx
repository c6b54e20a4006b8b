/**
 * What the sync gate (queries/readiness.ts `useSyncGate`) shows while this browser's engine is behind
 * the chain: a form's notice saying why it waits (`SyncWait`), and, for the engine's figures, a
 * labelled placeholder instead of an older state's figures (`Current`, `syncingFigure`).
 */
import { createContext, type ReactNode, useContext } from "react";
import { type SyncGate, syncGateSentence, syncingFigure, useSyncGate } from "../queries/readiness.ts";

/**
 * Inside a screen that already said once, at its top, why it waits (governance: `SaidAbove`), every
 * `SyncWait` and `Current` notice below stays quiet: one notice per screen, not one per card.
 */
const SaidAboveContext = createContext(false);

/** Children whose sync notices are already said above them (the screen's one notice). */
export function SaidAbove({ children }: { children: ReactNode }) {
  return <SaidAboveContext.Provider value={true}>{children}</SaidAboveContext.Provider>;
}

/**
 * A form's notice while this browser's engine is behind the chain: why it waits, with the heights.
 * `screen`: the screen's one notice, said above its cards (inside `SaidAbove`, every other is quiet).
 */
export function SyncWait({ gate, screen = false }: { gate: SyncGate; screen?: boolean }) {
  const said = useContext(SaidAboveContext);
  if (gate.ready || (said && !screen)) return null;
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

/**
 * Figures from the engine's state, shown only while that state is current. Behind the tip, a
 * placeholder ("Syncing… (block x of y)") stands in and the figures stay mounted but hidden, so what a
 * form holds is kept. `inline` for a figure inside a sentence or a line; `quiet` inside a form whose
 * `SyncWait` already says why (no second notice).
 */
export function Current({
  children,
  inline = false,
  quiet = false,
}: {
  children: ReactNode;
  inline?: boolean;
  quiet?: boolean;
}) {
  const gate = useSyncGate();
  const said = useContext(SaidAboveContext);
  const Wrap = inline ? "span" : "div";
  return (
    <>
      {gate.ready || quiet || (said && !inline) ? null : inline ? (
        <span className="muted" data-testid="figures-syncing" data-reason={gate.reason}>
          {syncingFigure(gate)}
        </span>
      ) : (
        <p
          className="notice notice-warn figures-syncing"
          role="status"
          data-testid="figures-syncing"
          data-reason={gate.reason}
        >
          {capitalized(syncingFigure(gate))}: the engine's figures appear here once this browser has caught up
          with the chain; until then they would be an older state's.
        </p>
      )}
      {/* Always the same element, so its children are never remounted when the gate flips. */}
      <Wrap className="current-figures" hidden={!gate.ready}>
        {children}
      </Wrap>
    </>
  );
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
