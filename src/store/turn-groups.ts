/**
 * Groups what the stores are asked for during one turn of the event loop: every item added in a
 * turn is handed to `commit` with the others at the end of that turn (setImmediate), so a burst
 * of refreshes pays for one transaction (SQLite) or one statement (PostgreSQL) instead of one
 * each. `commit` settles every item of its group and never rejects.
 */
export class TurnGroups<T> {
  private pending: T[] = [];
  private readonly committing = new Set<Promise<void>>();

  constructor(private readonly commit: (group: T[]) => Promise<void>) {}

  add(item: T): void {
    this.pending.push(item);
    if (this.pending.length === 1) setImmediate(this.flush);
  }

  /** Hands what is pending to `commit` now rather than at the end of the turn. */
  readonly flush = (): void => {
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    const committed = this.commit(group).finally(() => this.committing.delete(committed));
    this.committing.add(committed);
  };

  /** Commits what is pending; resolves once every group handed over so far has settled. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.committing);
  }
}
