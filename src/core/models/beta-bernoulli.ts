/**
 * Beta-Bernoulli propensity per key with Thompson sampling: the simplest adaptive model.
 * Posterior Beta(1 + positives, 1 + negatives); with exploration on, the arbitrated propensity is a
 * draw from it, so a new action explores uniformly and settles as evidence grows.
 */
import type { JsonValue, Predictors } from '../types.js';
import { sampleBeta, type Random } from '../random.js';
import { takeDirtyStates, type PropensityEstimate, type PropensityModel } from './model.js';

interface Counts {
  positives: number;
  negatives: number;
}

export interface BetaBernoulliOptions {
  /** Draw from the posterior (Thompson sampling). When false, the posterior mean is used. Default true. */
  explore?: boolean;
}

export class BetaBernoulliModel implements PropensityModel {
  readonly kind = 'beta-bernoulli';
  private readonly counts = new Map<string, Counts>();
  private readonly dirty = new Set<string>();
  private readonly explore: boolean;

  constructor(options: BetaBernoulliOptions = {}) {
    this.explore = options.explore ?? true;
  }

  estimate(key: string, _predictors: Predictors, random: Random): PropensityEstimate {
    const c = this.counts.get(key);
    const positives = c?.positives ?? 0;
    const negatives = c?.negatives ?? 0;
    const mean = (1 + positives) / (2 + positives + negatives);
    const propensity = this.explore ? sampleBeta(random, 1 + positives, 1 + negatives) : mean;
    return { propensity, mean, evidence: positives + negatives };
  }

  learn(key: string, _predictors: Predictors, positive: boolean): void {
    let c = this.counts.get(key);
    if (!c) {
      c = { positives: 0, negatives: 0 };
      this.counts.set(key, c);
    }
    if (positive) c.positives += 1;
    else c.negatives += 1;
    this.dirty.add(key);
  }

  takeDirty(limit = Infinity): Array<{ key: string; state: JsonValue }> {
    return takeDirtyStates(this.dirty, limit, (key) => {
      const c = this.counts.get(key);
      return c ? { positives: c.positives, negatives: c.negatives } : undefined;
    });
  }

  load(key: string, state: JsonValue): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new TypeError(`beta-bernoulli state for ${key} must be an object`);
    }
    const positives = Number(state['positives'] ?? 0);
    const negatives = Number(state['negatives'] ?? 0);
    if (!Number.isFinite(positives) || !Number.isFinite(negatives) || positives < 0 || negatives < 0) {
      throw new TypeError(`beta-bernoulli state for ${key} has invalid counts`);
    }
    this.counts.set(key, { positives, negatives });
  }

  keys(): string[] {
    return [...this.counts.keys()];
  }

  /** Read-only view of one key's counts (for reports and tests). */
  countsOf(key: string): Counts {
    const c = this.counts.get(key);
    return { positives: c?.positives ?? 0, negatives: c?.negatives ?? 0 };
  }
}
