import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, nbError } from './errors.js';

describe('error catalogue', () => {
  it('formats messages from the template, keeps the cause and serialises to the API shape', () => {
    const cause = new Error('disk full');
    const error = nbError('NB_ERR_ACTION_NOT_IN_DECISION', ['gold-card', 'd-1', 'fee-waiver'], { cause });
    expect(error.status).toBe(422);
    expect(error.message).toBe("Action 'gold-card' was not part of decision 'd-1' (it offered: fee-waiver)");
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({ error: { code: 'NB_ERR_ACTION_NOT_IN_DECISION', message: error.message } });
    expect(nbError('NB_ERR_CATALOG_INVALID', [2], { details: [{ path: 'a', message: 'b' }] }).toJSON().error.details).toEqual([{ path: 'a', message: 'b' }]);
  });

  it('docs/errors.md lists every code with its HTTP status', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${spec.status} \\|`));
    }
  });
});
