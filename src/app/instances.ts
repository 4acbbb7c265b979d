/**
 * Instances sharing a store must sign with keys the others verify: a token signed by one and
 * refreshed through another is otherwise refused (401) at random, by the load balancer's choice.
 * Each instance records in the store the kid it signs with and every kid it verifies, renews that
 * record on a heartbeat, and compares itself with the instances seen lately: a disagreement is
 * logged at start-up (and when it changes) and shown in `/readyz`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { InstanceKeys, InstanceRecord, TokenStore } from '../store/contract';
import type { KeySet } from '../tokens/keys';
import type { Clock } from '../tokens/service';

/** How often an instance renews its record. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** An instance not seen for this long is taken as stopped (three heartbeats missed). */
export const LIVENESS_WINDOW_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** Ways this instance and another disagree about keys, one sentence each; empty when they agree. */
export function keyDisagreements(self: InstanceKeys, others: readonly InstanceRecord[]): string[] {
  const problems: string[] = [];
  for (const other of others) {
    if (other.instanceId === self.instanceId) continue;
    if (!other.verifyingKids.includes(self.signingKid)) {
      problems.push(`instance ${other.description} cannot verify kid "${self.signingKid}" that this instance signs with: its tokens fail there`);
    }
    if (!self.verifyingKids.includes(other.signingKid)) {
      problems.push(`instance ${other.description} signs with kid "${other.signingKid}" that this instance cannot verify: its tokens fail here`);
    }
  }
  return problems;
}

export class InstanceRegistry {
  readonly self: InstanceKeys;
  private timer?: NodeJS.Timeout;
  private reported = new Set<string>();

  constructor(
    private readonly store: TokenStore,
    keys: KeySet,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {
    this.self = {
      instanceId: randomUUID(),
      description: `${hostname()} pid ${process.pid}`,
      signingKid: keys.signing.kid,
      verifyingKids: keys.keys.map((key) => key.kid),
    };
  }

  /**
   * Records this instance (and its signing kid, for good), reports any disagreement with the
   * instances seen lately, and starts the heartbeat. Rejects if the store cannot be written.
   */
  async start(): Promise<void> {
    const nowMs = this.clock.nowMs();
    await this.store.recordSigningKid(this.self.signingKid, nowMs);
    await this.store.announceInstance(this.self, nowMs);
    await this.report();
    this.timer = setInterval(() => void this.heartbeat(), HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
  }

  /** What `/readyz` shows: the disagreements with the instances seen lately. Rejects if the store does not answer. */
  async keyProblems(): Promise<string[]> {
    return keyDisagreements(this.self, await this.store.listInstances(this.clock.nowMs() - LIVENESS_WINDOW_MS));
  }

  /** Stops the heartbeat and withdraws the record (best effort: a stopped database forgets it by the liveness window). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.store.withdrawInstance(this.self.instanceId).catch(() => undefined);
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.store.announceInstance(this.self, this.clock.nowMs());
      await this.report();
    } catch {
      // The store is down or closed: /readyz says so; the next heartbeat tries again.
    }
  }

  /** Logs each disagreement once, when first seen. */
  private async report(): Promise<void> {
    const problems = await this.keyProblems();
    for (const problem of problems) {
      if (!this.reported.has(problem)) this.logger?.warn({ signingKid: this.self.signingKid }, `signing keys disagree: ${problem}`);
    }
    this.reported = new Set(problems);
  }
}
