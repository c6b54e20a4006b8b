/** Makes the engine client available to components (no module-level singleton inside components). */

import { createContext, type ReactNode, useContext } from "react";
import type { EngineClient } from "../../client/index.ts";

const EngineContext = createContext<EngineClient | null>(null);

/** `client` is created once by the app's entry (main.tsx), or by a test with a stand-in. */
export function EngineProvider({ children, client }: { children: ReactNode; client: EngineClient }) {
  return <EngineContext.Provider value={client}>{children}</EngineContext.Provider>;
}

export function useEngine(): EngineClient {
  const engine = useContext(EngineContext);
  if (!engine) throw new Error("useEngine must be used inside <EngineProvider>");
  return engine;
}
