/**
 * Undo log that makes every operation atomic: all engine mutations go through a Journal; a failed
 * operation rolls back in reverse order and leaves the state exactly as it was.
 */
export class Journal {
  private readonly undo: (() => void)[] = [];

  /** Sets obj[key] = value, remembering the old value. */
  set<T extends object, K extends keyof T>(obj: T, key: K, value: T[K]): void {
    const old = obj[key];
    if (old === value) return;
    this.undo.push(() => {
      obj[key] = old;
    });
    obj[key] = value;
  }

  /** Registers an inverse action for a mutation done elsewhere (map insert, list link). */
  onRollback(inverse: () => void): void {
    this.undo.push(inverse);
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
  }

  commit(): void {
    this.undo.length = 0;
  }
}
