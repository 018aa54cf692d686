/**
 * Opens the store a location names: `postgres://` or `postgresql://` URLs give a PostgresStore
 * (an optional `?schema=name` query parameter selects the schema), anything else is a SQLite file
 * path (`:memory:` allowed; a leading `sqlite:` as in `description` is accepted and dropped).
 */
import { PostgresStore } from './postgres/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { Store } from './store.js';

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresLocation(location: string): boolean {
  return POSTGRES_URL.test(location);
}

/** Splits nextbest's own `schema` query parameter off a PostgreSQL URL. */
function splitSchema(location: string): { url: string; schema?: string } {
  let parsed: URL;
  try {
    parsed = new URL(location);
  } catch {
    return { url: location };
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema === undefined) return { url: location };
  parsed.searchParams.delete('schema');
  return { url: parsed.toString(), schema };
}

export async function openStore(location: string): Promise<Store> {
  if (isPostgresLocation(location)) {
    const { url, schema } = splitSchema(location);
    return PostgresStore.open(url, schema === undefined ? {} : { schema });
  }
  const path = location.startsWith('sqlite:') ? location.slice('sqlite:'.length) : location;
  if (path === '') throw new Error('store location is empty: give a SQLite file path or a postgres:// URL');
  return SqliteStore.open(path);
}
