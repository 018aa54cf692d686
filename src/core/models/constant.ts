/**
 * A model that always answers the same propensity and learns nothing: the pipeline then ranks by
 * context weight x value x levers alone. For tests, simulations (a "list what is eligible"
 * strategy) and any deployment that wants rules-only arbitration.
 */
import type { JsonValue } from '../types.js';
import type { PropensityEstimate, PropensityModel } from './model.js';

export class ConstantModel implements PropensityModel {
  readonly kind = 'constant';
  constructor(private readonly value: number) {}
  estimate(): PropensityEstimate {
    return { propensity: this.value, mean: this.value, evidence: 0 };
  }
  learn(): void {}
  takeDirty(): Array<{ key: string; state: JsonValue }> {
    return [];
  }
  load(): void {}
  keys(): string[] {
    return [];
  }
}
