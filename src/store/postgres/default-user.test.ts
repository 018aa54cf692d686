import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { postgresUrlWithDefaultUser } from './index.js';

describe('postgresUrlWithDefaultUser (libpq: no user name means PGUSER, else the system user)', () => {
  const saved = { USER: process.env.USER, PGUSER: process.env.PGUSER };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** What `pg` connects with, given the URL the store passes it (no connection is made). */
  const parse = (url: string): { user: string | undefined; host: string; database: string | undefined } => {
    const client = new pg.Client({ connectionString: url });
    return { user: client.user, host: client.host, database: client.database };
  };
  const userOf = (url: string): string | undefined => parse(postgresUrlWithDefaultUser(url)).user;

  it('adds the system user to a URL with a host and none of its own', () => {
    delete process.env.PGUSER;
    process.env.USER = 'alice';
    expect(postgresUrlWithDefaultUser('postgres://127.0.0.1:5432/test')).toBe('postgres://alice@127.0.0.1:5432/test');
    expect(userOf('postgres://localhost/test?host=/var/run/postgresql')).toBe('alice');
  });

  it('gives a host-less Unix-socket URL the user as a parameter, keeping the socket directory', () => {
    delete process.env.PGUSER;
    process.env.USER = 'alice';
    const config = parse(postgresUrlWithDefaultUser('postgres:///test?host=/var/run/postgresql'));
    expect(config).toMatchObject({ user: 'alice', host: '/var/run/postgresql', database: 'test' });
  });

  it('leaves a URL alone that names its user, or when PGUSER is set', () => {
    process.env.USER = 'alice';
    delete process.env.PGUSER;
    expect(postgresUrlWithDefaultUser('postgres://bob@db/test')).toBe('postgres://bob@db/test');
    expect(postgresUrlWithDefaultUser('postgres:///test?host=/tmp&user=bob')).toBe('postgres:///test?host=/tmp&user=bob');
    process.env.PGUSER = 'carol';
    expect(postgresUrlWithDefaultUser('postgres:///test?host=/tmp')).toBe('postgres:///test?host=/tmp');
  });
});
