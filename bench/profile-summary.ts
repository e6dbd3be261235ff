/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `npm run bench -- --cpu-prof`):
 * where the time went by package / source folder, the top functions by self time, and the
 * inclusive time of the request pipeline's main steps.
 *
 *   node --import tsx bench/profile-summary.ts bench/results/profiles/CPU.….cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top N]\n');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

// Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i] as number;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self.entries()]
  .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
  .reduce((a, [, t]) => a + t, 0);
const busy = total - idle;

function category(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle)
    return 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return pkg[1];
  const src = /\/(src|dist|bench)\/([^/]+)(\/|$)/.exec(url);
  if (src) return src[2]?.endsWith('.ts') ? `${src[1]}/${src[2]}` : `${src[1]}/${src[2]}/`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function label(frame: CallFrame): string {
  const short = frame.url.includes('/node_modules/')
    ? frame.url.slice(frame.url.lastIndexOf('/node_modules/') + 1)
    : frame.url.replace(/^.*\/(src|dist|bench)\//, '$1/');
  const where = frame.url === '' ? '' : ` ${short}:${frame.lineNumber + 1}`;
  return `${frame.functionName || '(anonymous)'}${where}`;
}

const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;

const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
for (const [id, t] of self) {
  const frame = (byId.get(id) as ProfileNode).callFrame;
  if (frame.functionName === '(idle)') continue;
  const cat = category(frame);
  byCategory.set(cat, (byCategory.get(cat) ?? 0) + t);
  const key = `${label(frame)}  [${cat}]`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
}

// Inclusive time per function: a sample counts once for each distinct function on its stack.
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const frame = (byId.get(cur) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)' || frame.functionName === '(root)') continue;
    const key = label(frame);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}

const out: string[] = [];
out.push(`profile: ${file}`);
out.push(
  `wall ${ms(profile.endTime - profile.startTime)}, busy ${ms(busy)} (${((100 * busy) / total).toFixed(0)}% of samples), idle ${ms(idle)}`,
);
out.push('', 'self time by package / source folder (% of busy):');
for (const [cat, t] of [...byCategory.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
  out.push(`  ${pct(t)} ${ms(t)}  ${cat}`);
out.push('', `top ${top} functions by self time:`);
for (const [fn, t] of [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
  out.push(`  ${pct(t)} ${ms(t)}  ${fn}`);
out.push('', `top ${top} functions by inclusive time (project code, drivers, framework):`);
const interesting = [...inclusive.entries()]
  // Project code (src/ or dist/), the database drivers and the HTTP framework; not Node's internals.
  .filter(([key]) => /(src|dist|bench)\/|kysely|better-sqlite3|fastify|typebox|find-my-way|pg\//.test(key))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top);
for (const [fn, t] of interesting) out.push(`  ${pct(t)} ${ms(t)}  ${fn}`);
process.stdout.write(`${out.join('\n')}\n`);
