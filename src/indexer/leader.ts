/**
 * Multi-tab coordination (browser; a dedicated worker has both APIs): the tab holding the Web Lock
 * `<name>` runs the indexer, the others only read the store. The leader announces every block and
 * reorg on BroadcastChannel `<name>`; followers reload their in-memory state from the store. When the
 * leader's tab closes, the browser releases its lock and the next waiting tab takes over from the
 * stored head. Two leaders can never both write a block: the store refuses a block that does not
 * extend its head (StaleWriteError), inside the write transaction itself.
 */
import type { BlockNotice, SyncProgress } from "./indexer.ts";

export type SyncMessage =
  | BlockNotice
  | { type: "progress"; progress: SyncProgress }
  | { type: "leader"; tab: string };

export interface TabLeaderOptions {
  /** Lock and channel name (default "zkusd-indexer"); one per network. */
  name?: string;
  /** This tab's id (shown in messages). */
  tab: string;
  /** Runs once this tab leads, until `signal` aborts (stop or handover). */
  lead: (signal: AbortSignal) => Promise<void>;
  /** Every message another tab posts. */
  onMessage: (message: SyncMessage) => void;
}

export class TabLeader {
  private readonly channel: BroadcastChannel;
  private readonly abort = new AbortController();
  private leading = false;

  constructor(private readonly o: TabLeaderOptions) {
    this.channel = new BroadcastChannel(o.name ?? "zkusd-indexer");
    this.channel.onmessage = (e: MessageEvent<SyncMessage>) => o.onMessage(e.data);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Queues for the lock; resolves when this tab stops leading (or never led and was stopped). */
  start(): Promise<void> {
    const name = this.o.name ?? "zkusd-indexer";
    return navigator.locks
      .request(name, { signal: this.abort.signal }, async () => {
        this.leading = true;
        this.post({ type: "leader", tab: this.o.tab });
        try {
          await this.o.lead(this.abort.signal);
        } finally {
          this.leading = false;
        }
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if ((error as Error).name !== "AbortError") throw error;
        },
      );
  }

  post(message: SyncMessage): void {
    this.channel.postMessage(message);
  }

  /** Stops leading (releases the lock: another tab takes over) or leaves the queue. */
  stop(): void {
    this.abort.abort();
    this.channel.close();
  }
}
