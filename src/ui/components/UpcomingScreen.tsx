/** A screen that is planned but not built yet: says what it will do and what it waits for. No fake data. */
import { hrefFor } from "../router.ts";

interface UpcomingScreenProps {
  title: string;
  /** What users will do here, in one paragraph. */
  purpose: string;
  /** The parts of the system this screen waits for. */
  needs: string[];
}

export function UpcomingScreen({ title, purpose, needs }: UpcomingScreenProps) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">{title}</h1>
        <span className="badge badge-muted">Not available yet</span>
      </header>
      <div className="card upcoming">
        <p>{purpose}</p>
        <p className="muted">
          This screen is not available yet. It needs: {needs.join(", ")}. Nothing here is simulated; until
          then, the <a href={hrefFor("/")}>dashboard</a> shows the protocol's current totals.
        </p>
      </div>
    </section>
  );
}
