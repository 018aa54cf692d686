/**
 * Loads the demo bank: the demo catalog file shipped in src/demo and the seeded demo customers.
 * The path resolves from both src/ (tests, tsx) and dist/ (the built CLI).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCatalogText } from '../core/catalog/validate.js';

export const DEMO_CATALOG_PATH = fileURLToPath(new URL('../../src/demo/catalog.yaml', import.meta.url));

export function loadDemoCatalog(): unknown {
  return parseCatalogText(readFileSync(DEMO_CATALOG_PATH, 'utf8'), 'yaml');
}
