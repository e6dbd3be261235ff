/** compiledOnce: one compilation, then only new parameter values bound to the same SQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/db.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { compiledOnce } from '../../src/store/prepared.js';

let store: Store;

beforeAll(async () => {
  store = openStore({ dialect: 'sqlite', file: ':memory:' });
  await migrateToLatest(store.db);
  const at = new Date().toISOString();
  const users: Array<[string, string]> = [
    ['g1', 'one@example.com'],
    ['g2', 'two@example.com'],
  ];
  for (const [id, email] of users) {
    await store.db
      .insertInto('users')
      .values({
        id,
        email,
        display_name: id,
        given_name: null,
        family_name: null,
        image_url: null,
        provider: 'x',
        created_at: at,
        updated_at: at,
        disabled_at: null,
      })
      .execute();
  }
});

afterAll(async () => {
  await store.close();
});

describe('compiledOnce', () => {
  it('binds each call’s arguments, keeping constants of the query in place', async () => {
    let builds = 0;
    const byIdAndProvider = compiledOnce((db, id: string) => {
      builds++;
      return db.selectFrom('users').select(['id', 'email']).where('provider', '=', 'x').where('id', '=', id);
    });
    expect(await byIdAndProvider(store.db, 'g1')).toEqual([{ id: 'g1', email: 'one@example.com' }]);
    expect(await byIdAndProvider(store.db, 'g2')).toEqual([{ id: 'g2', email: 'two@example.com' }]);
    expect(await byIdAndProvider(store.db, 'nobody')).toEqual([]);
    expect(builds).toBe(1);
  });

  it('places repeated and reordered arguments correctly', async () => {
    const either = compiledOnce((db, a: string, b: string) =>
      db
        .selectFrom('users')
        .select('id')
        .where((eb) => eb.or([eb('id', '=', b), eb('email', '=', a)]))
        .orderBy('id'),
    );
    expect(await either(store.db, 'two@example.com', 'g1')).toEqual([{ id: 'g1' }, { id: 'g2' }]);
    expect(await either(store.db, 'none@example.com', 'g2')).toEqual([{ id: 'g2' }]);
  });
});
