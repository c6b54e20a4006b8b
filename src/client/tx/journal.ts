/**
 * The flow journal: every transaction flow the app runs is written to IndexedDB (`zkusd-flows`) at
 * each step, so a reload in the middle of one is never silent (issue 15 item 7). After a reload the
 * app reads the flows that were still running (`unfinishedFlows`) and either resumes them (a
 * broadcast operation is followed to its confirmation by the app's engine) or reports plainly what
 * the reload stopped and that nothing was sent (a proof, a signature, a co-signature request).
 *
 * Records hold the operation (structured clone keeps its bigints), the steps as last reported and
 * the transactions broadcast so far. Finished records are kept for a day (the history shows them),
 * then dropped; at most 50 are kept.
 */
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { Operation } from "../../protocol/index.ts";

export type FlowStepState = "waiting" | "running" | "done" | "failed" | "skipped";

export interface FlowStepRecord {
  id: string;
  label: string;
  state: FlowStepState;
  detail?: string;
}

export type FlowRecordState =
  /** Running in this tab (or in a tab that was closed or reloaded: `unfinishedFlows` says). */
  | "running"
  | "confirmed"
  | "failed"
  /** A reload stopped it before its operation was broadcast: nothing of it was sent. */
  | "interrupted";

export interface FlowRecord {
  id: string;
  /** What the review called it ("Open a vault"). */
  title: string;
  op: Operation;
  account: string;
  /** The engine's height when the flow started (the spell confirms above it). */
  height: number;
  startedAt: number;
  updatedAt: number;
  state: FlowRecordState;
  steps: FlowStepRecord[];
  /** Transactions broadcast so far: the price update and the operation itself. */
  sent: { price?: string; operation?: string };
  /** The final word (confirmation block, or the failure's sentence). */
  outcome?: string;
  /** Block the operation confirmed in. */
  confirmedHeight?: number;
  /** Found running after a reload (resumed or reported): its notice shows until dismissed. */
  recovered?: boolean;
  /** The user dismissed the notice about it. */
  dismissed?: boolean;
}

interface Schema extends DBSchema {
  flows: { key: string; value: FlowRecord; indexes: { updatedAt: number } };
}

const KEEP_MS = 24 * 3_600_000;
const KEEP_MAX = 50;

export class FlowJournal {
  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name = "zkusd-flows"): Promise<FlowJournal> {
    const db = await openDB<Schema>(name, 1, {
      upgrade(d) {
        d.createObjectStore("flows", { keyPath: "id" }).createIndex("updatedAt", "updatedAt");
      },
    });
    return new FlowJournal(db);
  }

  async put(record: FlowRecord): Promise<void> {
    await this.db.put("flows", record);
  }

  async get(id: string): Promise<FlowRecord | undefined> {
    return this.db.get("flows", id);
  }

  async delete(id: string): Promise<void> {
    await this.db.delete("flows", id);
  }

  /** Every record, newest first, after dropping finished ones older than a day (and beyond 50). */
  async list(now = Date.now()): Promise<FlowRecord[]> {
    const all = (await this.db.getAll("flows")).sort((a, b) => b.updatedAt - a.updatedAt);
    const keep: FlowRecord[] = [];
    for (const r of all) {
      const stale = r.state !== "running" && now - r.updatedAt > KEEP_MS;
      if (stale || keep.length >= KEEP_MAX) await this.db.delete("flows", r.id);
      else keep.push(r);
    }
    return keep;
  }

  close(): void {
    this.db.close();
  }
}

/** What to do with a flow found running after a reload. */
export type Recovery =
  /** Its operation was broadcast: follow it to its confirmation. */
  | { kind: "resume"; txid: string }
  /** The reload stopped it before the operation was sent: say so (and which step it was in). */
  | { kind: "report"; sentence: string };

/** The one rule for a flow a reload interrupted (`running` records not owned by this page). */
export function recoveryOf(r: FlowRecord): Recovery {
  if (r.sent.operation) return { kind: "resume", txid: r.sent.operation };
  const step = r.steps.find((s) => s.state === "running") ?? r.steps.find((s) => s.state === "waiting");
  const where = step ? ` during "${step.label}"` : "";
  const price = r.sent.price
    ? ` Its price update (${r.sent.price.slice(0, 10)}…) was sent and confirms on its own; the operation itself was not.`
    : "";
  return {
    kind: "report",
    sentence: `The page was reloaded${where}, which stopped "${r.title}" before it was sent: nothing of it reached the chain, and none of your coins stay locked.${price} Start it again from its screen when ready.`,
  };
}

/** The Web Lock a tab holds while it runs (or follows) a flow: released by the browser on reload. */
export const flowLockName = (id: string) => `zkusd-flow:${id}`;

/** Ids of the flows some open tab is running now (a running record without its lock was orphaned). */
export async function flowsHeldByTabs(): Promise<Set<string>> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return new Set();
  const { held = [] } = await locks.query();
  return new Set(
    held.flatMap((l) => (l.name?.startsWith("zkusd-flow:") ? [l.name.slice("zkusd-flow:".length)] : [])),
  );
}

/** Holds the flow's lock until `work` settles (no lock where the browser has none). */
export function holdingFlowLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? (locks.request(flowLockName(id), work) as Promise<T>) : work();
}

let journal: Promise<FlowJournal> | undefined;

/** This app's journal (opened once); null where IndexedDB is unavailable. */
export function appJournal(): Promise<FlowJournal | null> {
  if (typeof indexedDB === "undefined") return Promise.resolve(null);
  journal ??= FlowJournal.open();
  return journal.catch(() => null);
}

/**
 * Writes one flow's progress to the journal: call `steps` on every report and `sent` on every
 * broadcast; `finish` records the outcome. Writes are queued in order; a failed write never stops the
 * flow (the journal is a record of it, not a step of it).
 */
export function recordFlow(init: Omit<FlowRecord, "updatedAt" | "state" | "steps" | "sent">): {
  steps(steps: FlowStepRecord[]): void;
  sent(which: "price" | "operation", txid: string): void;
  finish(outcome: { ok: true; height: number } | { ok: false; message: string }): Promise<void>;
} {
  let record: FlowRecord = { ...init, updatedAt: Date.now(), state: "running", steps: [], sent: {} };
  let queue: Promise<unknown> = Promise.resolve();
  const write = (patch: Partial<FlowRecord>) => {
    record = { ...record, ...patch, updatedAt: Date.now() };
    const snapshot = record;
    queue = queue.then(async () => (await appJournal())?.put(snapshot)).catch(() => undefined);
    return queue;
  };
  write({});
  return {
    steps: (steps) =>
      void write({
        steps: steps.map(({ id, label, state, detail }) => ({
          id,
          label,
          state,
          ...(detail ? { detail } : {}),
        })),
      }),
    sent: (which, txid) => void write({ sent: { ...record.sent, [which]: txid } }),
    finish: async (outcome) => {
      await write(
        outcome.ok
          ? {
              state: "confirmed",
              confirmedHeight: outcome.height,
              outcome: `Confirmed in block ${outcome.height}.`,
            }
          : { state: "failed", outcome: outcome.message },
      );
    },
  };
}
