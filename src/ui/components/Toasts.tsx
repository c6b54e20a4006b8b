/** The toasts of src/ui/state/toast-store.ts, in a polite live region (read out without moving focus). */
import { useToasts } from "../state/toast-store.ts";
import "./Toasts.css";

export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const dismiss = useToasts((s) => s.dismiss);
  return (
    <section className="toasts" aria-live="polite" aria-label="Notifications" data-testid="toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`} data-kind={t.kind} data-testid="toast">
          <p>
            {t.text}
            {t.link ? (
              <>
                {" "}
                <a href={t.link.href} target="_blank" rel="noreferrer">
                  {t.link.label}
                </a>
              </>
            ) : null}
          </p>
          <button
            type="button"
            className="button button-ghost button-small"
            aria-label="Dismiss notification"
            onClick={() => dismiss(t.id)}
          >
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
