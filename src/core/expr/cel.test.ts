import { describe, expect, it } from 'vitest';
import { compileRule } from './cel.js';

const now = new Date('2026-06-01T10:00:00Z');

function rule(source: string) {
  const compiled = compileRule(source);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.rule;
}

describe('CEL rules', () => {
  it('a missing attribute makes the rule false and is named', () => {
    expect(rule('customer.income >= 30000').evaluate({ customer: {}, context: {}, now })).toEqual({ value: false, missing: ['customer.income'] });
    expect(rule('customer.x.y > 2').evaluate({ customer: { x: {} }, context: {}, now })).toEqual({ value: false, missing: ['customer.x.y'] });
  });

  it('`||` absorbs a missing attribute when another alternative is true, as CEL specifies', () => {
    const r = rule("customer.churnScore >= 0.3 || (has(context.intent) && context.intent == 'cancel')");
    expect(r.evaluate({ customer: {}, context: { intent: 'cancel' }, now })).toEqual({ value: true });
    expect(r.evaluate({ customer: {}, context: { intent: 'browse' }, now })).toEqual({ value: false, missing: ['customer.churnScore'] });
    expect(r.evaluate({ customer: { churnScore: 0.5 }, context: {}, now })).toEqual({ value: true });
    const three = rule('customer.a > 1 || customer.b > 1 || context.c == 1');
    expect(three.evaluate({ customer: {}, context: { c: 1 }, now })).toEqual({ value: true });
    expect(three.evaluate({ customer: { b: 2 }, context: {}, now })).toEqual({ value: true });
  });

  it('`&&` stays false when a part is missing', () => {
    expect(rule("customer.age >= 18 && context.page == 'x'").evaluate({ customer: {}, context: { page: 'x' }, now })).toEqual({
      value: false,
      missing: ['customer.age'],
    });
  });

  it('refuses non-boolean and malformed rules at compile time', () => {
    expect(compileRule("'yes'")).toEqual({ ok: false, error: 'must be a true/false condition, but it gives a string' });
    expect(compileRule('customer.age >=')).toMatchObject({ ok: false });
    expect(compileRule('unknown > 1')).toMatchObject({ ok: false });
  });
});
