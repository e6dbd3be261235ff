/**
 * The shell blocks of README.md and docs/quickstart.md, run as written, top to bottom, the way a
 * newcomer runs them: one bash session per document (variables carry from block to block), in a
 * directory that looks like a fresh clone, against the server the document itself starts with
 * `npm start` (SQLite, data in `./.gatehouse` of that directory).
 *
 * What differs from a newcomer's terminal, and why:
 * - The "clone" is a temporary directory whose entries are links to this checkout's, so the
 *   session's `./.gatehouse`, its files and its config directory (HOME) are its own.
 * - `npm ci && npm start` runs `npm start` alone (the tree is installed; a second `npm ci` would
 *   reinstall this checkout), in the background, and the session waits for `/health`.
 * - The server listens on a free port rather than 3333 (another server may be running here):
 *   GATEHOUSE_PORT and GATEHOUSE_API_HOST are set, and `127.0.0.1:3333` in a block is rewritten.
 * - A block preceded by `<!-- doc-blocks: skip (<reason>) -->` is not run: it needs a browser, or
 *   is this very test suite.
 * - Bash runs with `set -euo pipefail`, and after each block every variable it `export`s must hold
 *   a value that is neither empty nor `null` (a failed `$(… | jq -r .token)` leaves one that way
 *   without failing the block).
 *
 * This runs once, in its own `docs` project: the documents describe a newcomer's SQLite server,
 * and both databases are covered by the e2e suites.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../support/cli.js';

const DOCUMENTS = ['README.md', 'docs/quickstart.md'];
const SKIP = /^<!--\s*doc-blocks:\s*skip\s*\(([^)]+)\)\s*-->$/;
const SERVER_BLOCK = 'npm ci && npm start';
/** Entries of the checkout that a fresh clone does not have, or that the session must own. */
const NOT_LINKED = new Set(['.git', '.gatehouse', '.tmp', 'coverage', 'list-users.mjs', 'project.json', 'robot.json']);

interface Block {
  line: number;
  text: string;
  skip: string | null;
}

/** The fenced `sh`/`bash`/`shell` blocks of a Markdown text, with the skip reason before each, if any. */
function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i] as string);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && line.trimEnd() === '```');
    if (end < 0) throw new Error(`unclosed code block at line ${i + 1}`);
    if (['sh', 'bash', 'shell'].includes(fence[1] as string)) {
      let previous = i - 1;
      while (previous >= 0 && (lines[previous] as string).trim() === '') previous--;
      const marker = previous >= 0 ? SKIP.exec((lines[previous] as string).trim()) : null;
      blocks.push({ line: i + 1, text: lines.slice(i + 1, end).join('\n'), skip: marker ? (marker[1] as string) : null });
    }
    i = end;
  }
  return blocks;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The bash script of a document: its blocks in order, each followed by the check of what it exported. */
function sessionScript(document: string, blocks: Block[], port: number): string {
  const health = `http://127.0.0.1:${port}/health`;
  const parts = ['set -euo pipefail'];
  for (const block of blocks) {
    if (block.skip) continue;
    const where = `${document}:${block.line}`;
    parts.push(`echo "::doc-block ${where}" >&2`);
    if (block.text.trim() === SERVER_BLOCK) {
      parts.push(
        'npm start > server.log 2>&1 &',
        `for attempt in $(seq 1 600); do curl -sf ${health} > /dev/null && break; sleep 0.2; done`,
        `curl -sf ${health} > /dev/null || { echo "doc-blocks: the server of ${where} did not start:" >&2; cat server.log >&2; exit 1; }`,
      );
      continue;
    }
    if (/\bnpm (start|test|ci)\b/.test(block.text)) {
      throw new Error(
        `${where}: this test only knows \`${SERVER_BLOCK}\` as a block that runs npm; teach it, or mark the block skipped`,
      );
    }
    parts.push(block.text.replaceAll('127.0.0.1:3333', `127.0.0.1:${port}`));
    for (const [, name] of block.text.matchAll(/^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=/gm)) {
      parts.push(
        `if [ -z "\${${name}:-}" ] || [ "\${${name}}" = null ]; then echo "doc-blocks: ${where} left ${name} empty" >&2; exit 1; fi`,
      );
    }
  }
  parts.push('echo "::doc-blocks done" >&2');
  return `${parts.join('\n')}\n`;
}

interface Session {
  code: number | null;
  output: string;
  serverLog: string;
}

async function runDocument(document: string): Promise<Session> {
  const blocks = shellBlocks(readFileSync(join(ROOT, document), 'utf8'));
  const port = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'gatehouse-doc-blocks-'));
  const clone = join(base, 'gatehouse');
  mkdirSync(clone);
  mkdirSync(join(base, 'home'));
  for (const entry of readdirSync(ROOT)) {
    if (!NOT_LINKED.has(entry)) symlinkSync(join(ROOT, entry), join(clone, entry));
  }
  const env = cleanEnv({
    HOME: join(base, 'home'),
    XDG_CONFIG_HOME: undefined,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_API_HOST: `http://127.0.0.1:${port}`,
    NO_COLOR: '1',
  });
  let child: ChildProcess | undefined;
  try {
    let output = '';
    child = spawn('bash', ['-c', sessionScript(document, blocks, port)], { cwd: clone, env, detached: true });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child?.on('error', reject);
      child?.on('close', resolve);
    });
    let serverLog = '';
    try {
      serverLog = readFileSync(join(clone, 'server.log'), 'utf8');
    } catch {
      // no server started
    }
    return { code, output, serverLog };
  } finally {
    // The session's process group holds `npm start` and the server it started.
    if (child?.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    rmSync(base, { recursive: true, force: true });
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function requireTool(name: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `the documents' commands use ${name}: install it (e.g. apt-get install ${name}, brew install ${name}); .ci/run does`,
    );
  }
}

describe('shell blocks of the documents', () => {
  it('every document has blocks, and every skipped one says why', () => {
    for (const document of DOCUMENTS) {
      const blocks = shellBlocks(readFileSync(join(ROOT, document), 'utf8'));
      expect(blocks.filter((b) => !b.skip).length, document).toBeGreaterThan(3);
      for (const block of blocks)
        if (block.skip) expect(block.skip.trim().length, `${document}:${block.line}`).toBeGreaterThan(10);
      expect(
        blocks.filter((b) => b.text.trim() === SERVER_BLOCK && !b.skip),
        `${document} starts its server`,
      ).toHaveLength(1);
      // `npx gatehouse` would fetch an unrelated package from the npm registry.
      for (const block of blocks) expect(block.text, `${document}:${block.line}`).not.toMatch(/\bnpx gatehouse\b/);
    }
  });

  for (const document of DOCUMENTS) {
    it(`${document} runs top to bottom against a fresh server`, async () => {
      for (const tool of ['bash', 'curl', 'jq']) requireTool(tool);
      const session = await runDocument(document);
      if (process.env.DOC_BLOCKS_PRINT) console.log(session.output);
      const tail = session.output.split('\n').slice(-40).join('\n');
      expect(
        session.code,
        `${document} stopped in the block named last:\n${tail}\n--- server log ---\n${session.serverLog.slice(-2000)}`,
      ).toBe(0);
      expect(session.output).toContain('::doc-blocks done');
      // `npm test` built dist/ just before: npm start must not build it again.
      expect(session.serverLog).toContain('dist/ is up to date: not rebuilding');
      expect(session.serverLog).toContain('Gatehouse listening on');
    });
  }
});
