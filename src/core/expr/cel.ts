/**
 * Policy expressions in CEL (Common Expression Language, via @marcbachmann/cel-js): compiled once
 * per catalog version, evaluated per decision over `customer`, `context` and `now`.
 * Parse and type errors surface at compile time (catalog validation), never while deciding.
 * At evaluation a missing attribute makes the rule false and names the attribute; any other
 * runtime error also yields false with the error text, so a bad profile can never crash a decision.
 */
import { Environment } from '@marcbachmann/cel-js';
import type { JsonObject } from '../types.js';

export interface RuleInput {
  customer: JsonObject;
  context: JsonObject;
  now: Date;
}

export type RuleOutcome =
  | { value: boolean; missing?: undefined; error?: undefined }
  | { value: false; missing: string[]; error?: undefined }
  | { value: false; missing?: undefined; error: string };

export interface CompiledRule {
  readonly source: string;
  /** Attribute paths the rule reads, e.g. `customer.age`, `context.intent`. */
  readonly references: readonly string[];
  evaluate(input: RuleInput): RuleOutcome;
}

export type CompileResult = { ok: true; rule: CompiledRule } | { ok: false; error: string };

const environment = new Environment({ homogeneousAggregateLiterals: false })
  .registerVariable('customer', 'map')
  .registerVariable('context', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp');

const TRUE_RULE: CompiledRule = {
  source: 'true',
  references: [],
  evaluate: () => ({ value: true }),
};

/** Compile a boolean rule. `true`/empty compile to a constant rule with no evaluation cost. */
export function compileRule(source: string): CompileResult {
  const text = source.trim();
  if (text === '' || text === 'true') return { ok: true, rule: TRUE_RULE };
  let program: ReturnType<typeof environment.parse>;
  try {
    program = environment.parse(text);
  } catch (error) {
    return { ok: false, error: firstLine(error) };
  }
  let checked: { valid: boolean; type?: string; error?: { message: string } };
  try {
    checked = program.check() as typeof checked;
  } catch (error) {
    return { ok: false, error: firstLine(error) };
  }
  if (!checked.valid) return { ok: false, error: firstLine(checked.error?.message ?? 'type error') };
  if (checked.type !== undefined && checked.type !== 'bool' && checked.type !== 'dyn') {
    return { ok: false, error: `must be a true/false condition, but it gives a ${checked.type}` };
  }
  const references = collectReferences(program.ast as unknown as AstNode);
  // CEL's `||` is commutative over errors: `error || true` is true. cel-js throws instead, so when
  // the whole rule fails, its top-level alternatives are tried one by one (each compiled once here).
  const alternatives = disjunctsOf(program.ast as unknown as AstNode)
    .map((node) => compileRule(text.slice(node.start, node.end)))
    .flatMap((compiled) => (compiled.ok ? [compiled.rule] : []));
  const rule: CompiledRule = {
    source: text,
    references,
    evaluate(input: RuleInput): RuleOutcome {
      let result: unknown;
      try {
        result = program(input as unknown as Record<string, unknown>);
      } catch (error) {
        for (const alternative of alternatives) if (alternative.evaluate(input).value) return { value: true };
        const missing = missingReferences(references, input);
        if (missing.length > 0) return { value: false, missing };
        return { value: false, error: firstLine(error) };
      }
      if (typeof result !== 'boolean') {
        return { value: false, error: `gave ${describe(result)} instead of true/false` };
      }
      return { value: result };
    },
  };
  return { ok: true, rule };
}

interface AstNode {
  op: string;
  args: unknown;
  start: number;
  end: number;
}

/** The operands of a top-level chain of `||` (none when the rule is not a disjunction). */
function disjunctsOf(root: AstNode): AstNode[] {
  if (root.op !== '||') return [];
  const out: AstNode[] = [];
  const visit = (node: AstNode): void => {
    if (node.op === '||' && Array.isArray(node.args)) {
      for (const child of node.args) if (isNode(child)) visit(child);
    } else out.push(node);
  };
  visit(root);
  return out.every((n) => typeof n.start === 'number' && typeof n.end === 'number' && n.end > n.start) ? out : [];
}

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

/** Dotted paths rooted at `customer` or `context` (outside `has()`, which tolerates absence). */
function collectReferences(root: AstNode): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!isNode(node)) return;
    if (node.op === 'call' && Array.isArray(node.args) && node.args[0] === 'has') return;
    const path = pathOf(node);
    if (path && (path[0] === 'customer' || path[0] === 'context') && path.length > 1) {
      found.add(path.join('.'));
      return;
    }
    visit(node.args);
  };
  visit(root);
  return [...found];
}

function pathOf(node: AstNode): string[] | undefined {
  if (node.op === 'id' && typeof node.args === 'string') return [node.args];
  if ((node.op === '.' || node.op === '.?') && Array.isArray(node.args)) {
    const [target, field] = node.args as [unknown, unknown];
    if (!isNode(target) || typeof field !== 'string') return undefined;
    const base = pathOf(target);
    return base ? [...base, field] : undefined;
  }
  if (node.op === '[]' && Array.isArray(node.args)) {
    const [target, index] = node.args as [unknown, unknown];
    if (!isNode(target) || !isNode(index) || index.op !== 'value' || typeof index.args !== 'string') return undefined;
    const base = pathOf(target);
    return base ? [...base, index.args] : undefined;
  }
  return undefined;
}

/** For each reference, the shortest prefix that is absent from the input. */
function missingReferences(references: readonly string[], input: RuleInput): string[] {
  const missing: string[] = [];
  for (const reference of references) {
    const parts = reference.split('.');
    let value: unknown = input;
    for (let i = 0; i < parts.length; i++) {
      const key = parts[i] as string;
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !(key in value) || (value as Record<string, unknown>)[key] === null) {
        const prefix = parts.slice(0, i + 1).join('.');
        if (!missing.includes(prefix)) missing.push(prefix);
        break;
      }
      value = (value as Record<string, unknown>)[key];
    }
  }
  return missing;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? text).trim();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}
