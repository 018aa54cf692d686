/**
 * Checks that a JSON document from a client can be stored the same way by every store: no NUL
 * characters or unpaired surrogates in strings or keys (PostgreSQL's JSON types refuse them),
 * finite numbers, and a bounded depth. Answers with every problem's path, like the other inputs.
 */
import { nbError } from '../errors.js';

const MAX_DEPTH = 16;
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function assertStorableJson(value: unknown, root: string): void {
  const problems: Array<{ path: string; message: string }> = [];
  const visit = (node: unknown, path: string, depth: number): void => {
    if (problems.length >= 20) return;
    if (typeof node === 'string') {
      if (UNSTORABLE.test(node)) problems.push({ path, message: 'contains a NUL character or an unpaired surrogate; remove it' });
      return;
    }
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) problems.push({ path, message: 'must be a finite number' });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (depth >= MAX_DEPTH) {
      problems.push({ path, message: `nests deeper than ${MAX_DEPTH} levels; flatten it` });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((child, i) => visit(child, `${path}[${i}]`, depth + 1));
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      if (UNSTORABLE.test(key)) problems.push({ path: `${path}.${JSON.stringify(key)}`, message: 'this key contains a NUL character or an unpaired surrogate; rename it' });
      visit(child, `${path}.${key}`, depth + 1);
    }
  };
  visit(value, root, 0);
  if (problems.length > 0) {
    throw nbError('NB_ERR_VALIDATION', [problems.map((p) => `${p.path}: ${p.message}`).join('; ')], { details: problems });
  }
}
