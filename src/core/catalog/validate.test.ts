import { describe, expect, it } from 'vitest';
import { smallCatalog } from '../testing/fixtures.js';
import { buildCatalog } from './compile.js';
import { parseCatalogText, validateCatalog } from './validate.js';

type Doc = Record<string, any>;

function errorsOf(doc: unknown) {
  const result = validateCatalog(doc);
  if (result.ok) throw new Error('expected validation errors');
  return result.errors;
}

describe('catalog validation', () => {
  it('accepts the example catalog and fills defaults', () => {
    const result = validateCatalog(smallCatalog());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const retain = result.document.issues[1]!;
    expect(retain.lever).toBe(1);
    expect(retain.groups[0]!.lever).toBe(1);
    expect(retain.groups[0]!.actions[0]!.lever).toBe(1);
    expect(result.document.relevance.minPropensity).toBe(0);
  });

  it('reports several errors at once, each with its path and the fix', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].groups[0].actions[0].value = -5;
    doc['issues'][0].groups[0].actions[1].treatments[0].channel = 'fax';
    doc['issues'][1].groups[0].actions[0].eligibility = 'customer.age >= ';
    doc['channels'][1].direction = 'sideways';
    doc['relevance'] = { minPropensity: 2 };
    const errors = errorsOf(doc);
    expect(errors).toEqual([
      { path: 'channels[1].direction', message: "must be 'inbound' or 'outbound'" },
      { path: 'issues[0].groups[0].actions[0].value', message: 'must be a number >= 0' },
      { path: 'issues[0].groups[0].actions[1].treatments[0].channel', message: 'must be one of the declared channels (web, email)' },
      { path: 'issues[1].groups[0].actions[0].eligibility', message: 'invalid CEL expression: Unexpected token: EOF' },
      { path: 'relevance.minPropensity', message: 'must be a number between 0 and 1' },
    ]);
  });

  it('rejects duplicate ids, unknown fields, bad dates and inverted validity windows', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][1].groups[0].actions[0].id = 'gold-card';
    doc['issues'][0].groups[0].actions[0].colour = 'gold';
    doc['issues'][0].groups[0].actions[0].validFrom = '2028-01-01';
    doc['issues'][0].groups[0].actions[1].validTo = '31/12/2027';
    const paths = errorsOf(doc).map((e) => `${e.path}: ${e.message}`);
    expect(paths).toContain("issues[1].groups[0].actions[0].id: duplicate action id 'gold-card'; action ids must be unique across the catalog");
    expect(paths.some((p) => p.startsWith('issues[0].groups[0].actions[0].colour: unknown field; remove it or use one of: id, name'))).toBe(true);
    expect(paths).toContain('issues[0].groups[0].actions[0].validTo: must not be before validFrom (2028-01-01)');
    expect(paths).toContain('issues[0].groups[0].actions[1].validTo: must be a date YYYY-MM-DD');
  });

  it('rejects a rule that is not a condition and a context weight without a valid target', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].eligibility = "'yes'";
    doc['contextWeights'] = [{ when: 'true', issue: 'nope', weight: 2 }, { when: 'true', weight: 2 }];
    const errors = errorsOf(doc);
    expect(errors).toEqual([
      { path: 'issues[0].eligibility', message: 'invalid CEL expression: must be a true/false condition, but it gives a string' },
      { path: 'contextWeights[0].issue', message: "must be the id of a issue in this catalog; 'nope' is not one" },
      { path: 'contextWeights[1]', message: 'must name exactly one target: issue, group or action' },
    ]);
  });

  it('requires channels and issues', () => {
    expect(errorsOf({})).toEqual([
      { path: 'channels', message: 'is required (a list)' },
      { path: 'issues', message: 'is required (a list)' },
    ]);
    expect(errorsOf([])).toEqual([{ path: '$', message: 'must be an object, got a list' }]);
  });

  it('parses YAML (with dates as plain strings) and reports parse errors clearly', () => {
    const doc = parseCatalogText('channels:\n  - { id: web, direction: inbound }\nissues:\n  - id: x\n    groups:\n      - id: g\n        actions:\n          - id: a\n            validFrom: 2026-01-01\n            treatments: [{ id: t, channel: web }]\n');
    const built = buildCatalog(doc, 1);
    expect(built.ok).toBe(true);
    if (built.ok) expect(built.catalog.actions[0]!.def.validFrom).toBe('2026-01-01');
    expect(() => parseCatalogText('channels: [', 'yaml')).toThrowError(/could not be parsed as YAML/);
    expect(() => parseCatalogText('{"a":', 'json')).toThrowError(/could not be parsed as JSON/);
  });

  it('compiles levers as products and candidates per channel', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].lever = 2;
    doc['issues'][0].groups[0].lever = 1.5;
    doc['issues'][0].groups[0].actions[0].lever = 0.5;
    const built = buildCatalog(doc, 3);
    if (!built.ok) throw new Error('should build');
    const gold = built.catalog.actionsById.get('gold-card')!;
    expect(gold.lever).toBe(1.5);
    expect(built.catalog.version).toBe(3);
    expect(built.catalog.candidatesByChannel.get('web')!.map((c) => c.action.id)).toEqual(['gold-card', 'student-card', 'fee-waiver']);
    expect(built.catalog.candidatesByChannel.get('email')!.map((c) => c.action.id)).toEqual(['gold-card']);
    expect(gold.policies.map((p) => `${p.stage}/${p.level}`)).toEqual([
      'eligibility/issue',
      'eligibility/action',
      'applicability/action',
      'suitability/action',
    ]);
  });
});
