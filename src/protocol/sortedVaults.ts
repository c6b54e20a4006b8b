/**
 * Active vaults ordered by nominal ICR, highest first (Liquity's SortedTroves), as a deterministic
 * skip list: O(log n) expected insert, O(1) remove by handle, O(1) lowest-first walk.
 *
 * Levels come from a hash of the vault's account index (no randomness), so identical histories give
 * identical structures. Ties: a vault (re)inserted goes above (head side of) existing vaults with the
 * same NICR, as Liquity's `_descendList` from the head does. Order is compared on the *current* NICR
 * (pending redistribution rewards included); redistribution preserves the order (Liquity's proof),
 * so stored positions stay valid without re-sorting.
 */
import type { Journal } from "./journal.ts";

const MAX_LEVEL = 24;

export interface SortedNode<T> {
  readonly item: T;
  readonly level: number;
  next: (SortedNode<T> | null)[];
  prev: (SortedNode<T> | null)[];
}

/** Level from a 32-bit integer hash of the index: geometric with p = 1/4. */
export function levelFor(index: number): number {
  let h = (index + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  let level = 1;
  while (level < MAX_LEVEL && (h & 3) === 0) {
    level++;
    h >>>= 2;
  }
  return level;
}

export class SortedVaults<T> {
  private readonly head: SortedNode<T>;
  private tail: SortedNode<T> | null = null;
  private count = 0;

  constructor(
    private readonly nicrOf: (item: T) => bigint,
    private readonly levelOf: (item: T) => number,
  ) {
    this.head = {
      item: undefined as unknown as T,
      level: MAX_LEVEL,
      next: new Array(MAX_LEVEL).fill(null),
      prev: new Array(MAX_LEVEL).fill(null),
    };
  }

  get size(): number {
    return this.count;
  }

  /** Highest NICR. */
  first(): T | null {
    return this.head.next[0]?.item ?? null;
  }

  /** Lowest NICR (the riskiest vault). */
  last(): T | null {
    return this.tail?.item ?? null;
  }

  /** The next vault towards the head (higher NICR), or null. */
  prevOf(node: SortedNode<T>): T | null {
    const p = node.prev[0];
    return p && p !== this.head ? p.item : null;
  }

  /** Inserts at its NICR position; returns the node handle. */
  insert(item: T, journal?: Journal): SortedNode<T> {
    const nicr = this.nicrOf(item);
    const level = this.levelOf(item);
    const node: SortedNode<T> = {
      item,
      level,
      next: new Array(level).fill(null),
      prev: new Array(level).fill(null),
    };
    let x = this.head;
    for (let i = MAX_LEVEL - 1; i >= 0; i--) {
      // Strictly greater: a new vault goes above existing ones with an equal NICR.
      for (let n = x.next[i]; n && this.nicrOf(n.item) > nicr; n = x.next[i]) x = n;
      if (i < level) {
        const after = x.next[i] ?? null;
        node.prev[i] = x;
        node.next[i] = after;
        x.next[i] = node;
        if (after) after.prev[i] = node;
      }
    }
    if (!node.next[0]) this.tail = node;
    this.count++;
    journal?.onRollback(() => this.unlink(node));
    return node;
  }

  /** Removes by handle. */
  remove(node: SortedNode<T>, journal?: Journal): void {
    const prevs = node.prev.slice();
    const nexts = node.next.slice();
    this.unlink(node);
    journal?.onRollback(() => this.relink(node, prevs, nexts));
  }

  private unlink(node: SortedNode<T>): void {
    for (let i = 0; i < node.level; i++) {
      const p = node.prev[i]!;
      const n = node.next[i] ?? null;
      p.next[i] = n;
      if (n) n.prev[i] = p;
    }
    if (this.tail === node) {
      const p = node.prev[0]!;
      this.tail = p === this.head ? null : p;
    }
    this.count--;
  }

  /** Exact inverse of unlink (rollback runs in reverse order, so neighbours are as they were). */
  private relink(
    node: SortedNode<T>,
    prevs: (SortedNode<T> | null)[],
    nexts: (SortedNode<T> | null)[],
  ): void {
    for (let i = 0; i < node.level; i++) {
      const p = prevs[i]!;
      const n = nexts[i] ?? null;
      node.prev[i] = p;
      node.next[i] = n;
      p.next[i] = node;
      if (n) n.prev[i] = node;
    }
    if (!node.next[0]) this.tail = node;
    this.count++;
  }

  /** Appends at the tail, for rebuilding a stored order exactly (deserialization). */
  appendInOrder(item: T): SortedNode<T> {
    const level = this.levelOf(item);
    const node: SortedNode<T> = {
      item,
      level,
      next: new Array(level).fill(null),
      prev: new Array(level).fill(null),
    };
    // Walk the rightmost node of each level from the head: keep a per-level tail cache.
    for (let i = 0; i < level; i++) {
      const x = this.lastAtLevel[i] ?? this.head;
      if (x.next[i]) throw new Error("appendInOrder is only for rebuilding a fresh list");
      node.prev[i] = x;
      x.next[i] = node;
      this.lastAtLevel[i] = node;
    }
    this.tail = node;
    this.count++;
    return node;
  }
  private readonly lastAtLevel: (SortedNode<T> | undefined)[] = [];

  /**
   * The lowest vault for which `holds` is true, where `holds` is monotone along the list (true on
   * the head side, false on the tail side), in O(log n): e.g. the riskiest vault with ICR ≥ MCR.
   */
  lowestWhere(holds: (item: T) => boolean): T | null {
    let x = this.head;
    for (let i = MAX_LEVEL - 1; i >= 0; i--) {
      for (let n = x.next[i]; n && holds(n.item); n = x.next[i]) x = n;
    }
    return x === this.head ? null : x.item;
  }

  /** Lowest-first walk. */
  *fromLowest(): Generator<T> {
    for (let n = this.tail; n && n !== this.head; n = n.prev[0] ?? null) yield n.item;
  }

  /** Highest-first walk. */
  *fromHighest(): Generator<T> {
    for (let n = this.head.next[0]; n; n = n.next[0] ?? null) yield n.item;
  }
}
