/**
 * The `PropensityModel` port: how the pipeline asks "how likely is this customer to respond
 * positively to this action in this channel, now?" and how responses teach the answer.
 * Models are keyed (one per action x channel x direction by default, see `modelKey`); state is
 * exported per key as JSON so any store can persist it and several nodes can merge it.
 */
import type { JsonValue, Predictors, Direction } from '../types.js';
import type { Random } from '../random.js';

export interface PropensityEstimate {
  /** The propensity used in arbitration: with exploration on, a Thompson draw around `mean`. */
  propensity: number;
  /** The model's point estimate. */
  mean: number;
  /** Evidence behind the estimate: number of responses learnt. */
  evidence: number;
}

export interface PropensityModel {
  /** Stable name of the model class, stored with its state (e.g. `beta-bernoulli`). */
  readonly kind: string;
  estimate(key: string, predictors: Predictors, random: Random): PropensityEstimate;
  learn(key: string, predictors: Predictors, positive: boolean): void;
  /**
   * State of the keys changed since they were last taken, for persistence: at most `limit` of them
   * (all by default), those that changed longest ago first. The keys taken are clean until they
   * learn again; the others stay dirty for the next call.
   */
  takeDirty(limit?: number): Array<{ key: string; state: JsonValue }>;
  /** Restore one key's persisted state (at start-up). */
  load(key: string, state: JsonValue): void;
  /** Keys the model holds. */
  keys(): string[];
}

/**
 * `takeDirty` over a model's set of dirty keys (in the order they became dirty): the states of at
 * most `limit` of them, which leave the set; `stateOf` gives a key's state (undefined: nothing to keep).
 */
export function takeDirtyStates(
  dirty: Set<string>,
  limit: number,
  stateOf: (key: string) => JsonValue | undefined,
): Array<{ key: string; state: JsonValue }> {
  const out: Array<{ key: string; state: JsonValue }> = [];
  for (const key of dirty) {
    if (out.length >= limit) break;
    dirty.delete(key);
    const state = stateOf(key);
    if (state !== undefined) out.push({ key, state });
  }
  return out;
}

export interface ModelKeyParts {
  actionId: string;
  channel: string;
  direction: Direction;
  /** Only with models per treatment (catalog `models.perTreatment`). */
  treatmentId?: string | undefined;
}

/** Canonical model key: `action/channel/direction`, or `action/channel/direction/treatment` per treatment. */
export function modelKey(parts: ModelKeyParts): string {
  const base = `${parts.actionId}/${parts.channel}/${parts.direction}`;
  return parts.treatmentId === undefined ? base : `${base}/${parts.treatmentId}`;
}
