/**
 * Toasts: short notices of what just happened (a transaction confirmed, a payout settled, a flow
 * resumed after a reload), shown in a polite live region at the corner of every screen. Each stays
 * 12 s, or until dismissed; at most five are shown.
 */
import { create } from "zustand";

export type ToastTone = "ok" | "warn" | "danger";

export interface Toast {
  id: number;
  tone: ToastTone;
  /** What happened, in one sentence. */
  text: string;
  /** An optional link (the transaction on the explorer). */
  link?: { href: string; label: string };
  /** What kind of event this was (tests and styling). */
  kind: string;
}

interface ToastState {
  toasts: Toast[];
  push(toast: Omit<Toast, "id">): void;
  dismiss(id: number): void;
}

const SHOW_MS = 12_000;
let next = 1;

export const useToasts = create<ToastState>()((set, get) => ({
  toasts: [],
  push(toast) {
    const id = next++;
    set({ toasts: [...get().toasts, { ...toast, id }].slice(-5) });
    setTimeout(() => get().dismiss(id), SHOW_MS);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

/** Pushes a toast from outside React. */
export const toast = (t: Omit<Toast, "id">): void => useToasts.getState().push(t);
