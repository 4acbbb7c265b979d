import { performance } from 'node:perf_hooks';

export interface TurnGroupsOptions {
  /**
   * Under steady load, how long a lone item may wait for company (ms; 0, the default, never
   * waits). A group is then handed over when this time is up or when {@link HELD_GROUP_LIMIT}
   * items have gathered, whichever comes first. Only an item that arrives within this time of the
   * previous group's hand-over waits: the first request after a pause is committed in its own
   * turn, as without it.
   */
  holdMs?: number;
}

/** A held group is handed over at once when it has this many items. */
export const HELD_GROUP_LIMIT = 16;

/**
 * Groups what the stores are asked for during one turn of the event loop: every item added in a
 * turn is handed to `commit` with the others at the end of that turn (setImmediate), so a burst
 * of refreshes pays for one transaction (SQLite) or one statement (PostgreSQL) instead of one
 * each. With `holdMs`, requests that arrive one per turn under steady load (half of peak rate)
 * are gathered too, for at most that long. `commit` settles every item of its group and never
 * rejects.
 */
export class TurnGroups<T> {
  private pending: T[] = [];
  private readonly committing = new Set<Promise<void>>();
  private readonly holdMs: number;
  private held: NodeJS.Timeout | undefined;
  private lastHandOver = -Infinity;

  constructor(
    private readonly commit: (group: T[]) => Promise<void>,
    options: TurnGroupsOptions = {},
  ) {
    this.holdMs = options.holdMs ?? 0;
  }

  add(item: T): void {
    this.pending.push(item);
    if (this.pending.length === 1) {
      if (this.holdMs > 0 && performance.now() - this.lastHandOver < this.holdMs) this.held = setTimeout(this.flush, this.holdMs);
      else setImmediate(this.flush);
    } else if (this.held !== undefined && this.pending.length >= HELD_GROUP_LIMIT) {
      clearTimeout(this.held);
      this.held = undefined;
      setImmediate(this.flush);
    }
  }

  /** Hands what is pending to `commit` now rather than at the end of the turn. */
  readonly flush = (): void => {
    if (this.held !== undefined) {
      clearTimeout(this.held);
      this.held = undefined;
    }
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    this.lastHandOver = performance.now();
    const committed = this.commit(group).finally(() => this.committing.delete(committed));
    this.committing.add(committed);
  };

  /** Commits what is pending; resolves once every group handed over so far has settled. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.all(this.committing);
  }
}
