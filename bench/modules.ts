/**
 * Where the benchmark processes load Gatehouse from: the compiled build in dist/ (what ships, and
 * what `npm run bench` has just built), or src/ through tsx with `BENCH_FROM=src` (for iterating
 * without a build). Typed against src/ either way.
 */
const root = process.env.BENCH_FROM === 'src' ? '../src/' : '../dist/';

async function load<T>(path: string): Promise<T> {
  return (await import(`${root}${path}`)) as T;
}

export const gatehouse = {
  config: () => load<typeof import('../src/config.js')>('config.js'),
  server: () => load<typeof import('../src/server.js')>('server.js'),
  routes: () => load<typeof import('../src/http/routes/index.js')>('http/routes/index.js'),
  policy: () => load<typeof import('../src/model/policy.js')>('model/policy.js'),
  tokens: () => load<typeof import('../src/model/tokens.js')>('model/tokens.js'),
  services: () => load<typeof import('../src/services/index.js')>('services/index.js'),
  changeFeed: () => load<typeof import('../src/services/change-feed.js')>('services/change-feed.js'),
  db: () => load<typeof import('../src/store/db.js')>('store/db.js'),
  memberships: () => load<typeof import('../src/store/memberships.js')>('store/memberships.js'),
  roles: () => load<typeof import('../src/model/roles.js')>('model/roles.js'),
  customRoles: () => load<typeof import('../src/store/custom-roles.js')>('store/custom-roles.js'),
  addMember: () => load<typeof import('../src/services/memberships.js')>('services/memberships.js'),
};
