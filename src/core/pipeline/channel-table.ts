/**
 * The candidates of one channel laid out for the decision loop, once per catalog version: validity
 * windows, values, levers, fixed propensities, consent and conversation flags and context-weight
 * indexes in typed arrays, each candidate's policy chain as numbers into one list of the catalog's
 * distinct rules (so a decision evaluates each rule at most once and looks its outcome up by
 * number), model keys, and per model instance the model slots of
 * the candidates. Built on first use and kept as long as the compiled catalog is.
 */
import type { CompiledAction, CompiledCatalog, CompiledChannel } from '../catalog/compile.js';
import type { TreatmentDef } from '../catalog/types.js';
import type { CompiledRule } from '../expr/cel.js';
import { modelKey } from '../models/model.js';

export interface ChannelTable {
  readonly channel: CompiledChannel;
  readonly candidates: ReadonlyArray<{ action: CompiledAction; treatments: TreatmentDef[] }>;
  readonly count: number;
  readonly validFromMs: Float64Array;
  readonly validToMs: Float64Array;
  readonly value: Float64Array;
  readonly lever: Float64Array;
  /** The catalog's fixed propensity, NaN when the model learns it. */
  readonly fixed: Float64Array;
  /** 1 for a mandatory action. */
  readonly mandatory: Uint8Array;
  /** 1 for an action that needs marketing consent. */
  readonly marketing: Uint8Array;
  /** 1 for a conversation action (it has an advisor topic). */
  readonly conversation: Uint8Array;
  /** Candidate c's context weights are weightIndex[weightStart[c]] .. weightIndex[weightStart[c + 1] - 1] (indexes into the catalog's). */
  readonly weightStart: Int32Array;
  readonly weightIndex: Int32Array;
  /** Candidate c's policies are rule numbers ruleOf[ruleStart[c]] .. ruleOf[ruleStart[c + 1] - 1], in chain order. */
  readonly ruleStart: Int32Array;
  readonly ruleOf: Int32Array;
  /** The distinct rules of the catalog's policies and context weights, by number. */
  readonly rules: readonly CompiledRule[];
  /** Per context weight of the catalog, its rule number. */
  readonly weightRule: Int32Array;
  /** The model key of each candidate (action/channel/direction). */
  readonly keys: readonly string[];
  /** True when the catalog has no quiet hours, suppressions or contact limits (nothing to check). */
  readonly noContactPolicies: boolean;
  /** Per model instance, whatever that model resolved per candidate key, and when (see `slotsFor`). */
  readonly slots: WeakMap<object, { version: number; slots: unknown[] }>;
  /** Per model instance, its `scorerLayouts` when the candidates' scorers were last packed. */
  readonly packedAt: WeakMap<object, number>;
}

const tables = new WeakMap<CompiledCatalog, Map<string, ChannelTable>>();

/** The table of `channelId` in `catalog`; undefined for a channel the catalog does not define. */
export function channelTable(catalog: CompiledCatalog, channelId: string): ChannelTable | undefined {
  let perChannel = tables.get(catalog);
  if (!perChannel) {
    perChannel = new Map();
    tables.set(catalog, perChannel);
  }
  let table = perChannel.get(channelId);
  if (!table) {
    const channel = catalog.channels.get(channelId);
    const candidates = catalog.candidatesByChannel.get(channelId);
    if (!channel || !candidates) return undefined;
    table = buildTable(catalog, channel, candidates);
    perChannel.set(channelId, table);
  }
  return table;
}

/**
 * The per-candidate slots of `model` in `table`, resolved with `resolve` once per table, model and
 * `version` (the model's word for "the slots I gave may be stale").
 */
export function slotsFor<T>(table: ChannelTable, model: object, version: number, resolve: (key: string) => T): T[] {
  const cached = table.slots.get(model);
  if (cached && cached.version === version) return cached.slots as T[];
  const slots = table.keys.map(resolve);
  table.slots.set(model, { version, slots });
  return slots;
}

function buildTable(
  catalog: CompiledCatalog,
  channel: CompiledChannel,
  candidates: ReadonlyArray<{ action: CompiledAction; treatments: TreatmentDef[] }>,
): ChannelTable {
  const n = candidates.length;
  const rules: CompiledRule[] = [];
  const numbers = new Map<CompiledRule, number>();
  const numberOf = (rule: CompiledRule): number => {
    let k = numbers.get(rule);
    if (k === undefined) {
      k = rules.length;
      rules.push(rule);
      numbers.set(rule, k);
    }
    return k;
  };
  const ruleStart = new Int32Array(n + 1);
  const chain: number[] = [];
  const validFromMs = new Float64Array(n);
  const validToMs = new Float64Array(n);
  const value = new Float64Array(n);
  const lever = new Float64Array(n);
  const fixed = new Float64Array(n);
  const mandatory = new Uint8Array(n);
  const marketing = new Uint8Array(n);
  const conversation = new Uint8Array(n);
  const weightStart = new Int32Array(n + 1);
  const weights: number[] = [];
  const keys: string[] = [];
  candidates.forEach(({ action }, c) => {
    ruleStart[c] = chain.length;
    for (const policy of action.policies) chain.push(numberOf(policy.rule));
    validFromMs[c] = action.validFromMs;
    validToMs[c] = action.validToMs;
    value[c] = action.value;
    lever[c] = action.lever;
    fixed[c] = action.fixedPropensity ?? NaN;
    mandatory[c] = action.mandatory ? 1 : 0;
    marketing[c] = action.marketing ? 1 : 0;
    conversation[c] = action.topic !== undefined ? 1 : 0;
    weightStart[c] = weights.length;
    for (const index of action.weightIndexes) weights.push(index);
    keys.push(modelKey({ actionId: action.id, channel: channel.id, direction: channel.direction }));
  });
  ruleStart[n] = chain.length;
  weightStart[n] = weights.length;
  const weightRule = Int32Array.from(catalog.contextWeights, (w) => numberOf(w.rule));
  const contact = catalog.contactPolicies;
  return {
    channel,
    candidates,
    count: n,
    validFromMs,
    validToMs,
    value,
    lever,
    fixed,
    mandatory,
    marketing,
    conversation,
    weightStart,
    weightIndex: Int32Array.from(weights),
    ruleStart,
    ruleOf: Int32Array.from(chain),
    rules,
    weightRule,
    keys,
    noContactPolicies: contact.quietHours.length === 0 && contact.suppressions.length === 0 && contact.limits.length === 0,
    slots: new WeakMap(),
    packedAt: new WeakMap(),
  };
}
