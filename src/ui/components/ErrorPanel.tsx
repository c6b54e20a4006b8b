/** An error in plain words with what to do next, and a retry when one makes sense. */
interface ErrorPanelProps {
  title: string;
  error: unknown;
  advice: string;
  onRetry?: () => void;
}

export function ErrorPanel({ title, error, advice, onRetry }: ErrorPanelProps) {
  const detail = error instanceof Error ? error.message : String(error);
  return (
    <div className="card error-panel" role="alert">
      <h2>{title}</h2>
      <p>{advice}</p>
      <p className="muted">Details: {detail}</p>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
