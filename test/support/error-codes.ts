/**
 * Finds the `reason.code` values a TypeScript source can produce, for the test that holds
 * docs/errors.md to the code. A code is a snake_case string literal that reaches a `code` in one of
 * these ways:
 *
 * - as (part of) the value of a `code:` property: `{ code: 'not_found' }`,
 *   `code: rotated ? 'token_rotated' : 'token_revoked'`, `code: refusal?.code ?? 'principal_not_accepted'`;
 * - as the argument of a function whose parameter at that position is named `code` (in its own
 *   file, or in any file when it is exported): `function sessionNotFound(code: string, …)` makes
 *   `sessionNotFound('token_revoked', …)` a code, and `const refuse = async (code: string, …) =>`
 *   does the same for `refuse('sso_domain_unverified', …)`.
 *
 * A scanner, not a parser: it splits expressions at top-level commas and brackets, and ignores what
 * is inside string and template literals and comments, which is all this needs.
 */

const SNAKE_LITERAL = /^'([a-z][a-z0-9_]*)'$|^"([a-z][a-z0-9_]*)"$/;

/** Index just past the string, template literal or comment starting at `i`, or `i` when none does. */
function skipLiteral(text: string, i: number): number {
  const c = text[i];
  if (c === '/' && text[i + 1] === '/') {
    const end = text.indexOf('\n', i);
    return end === -1 ? text.length : end;
  }
  if (c === '/' && text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    return end === -1 ? text.length : end + 2;
  }
  if (c === '/' && startsRegExp(text, i)) {
    let j = i + 1;
    let inClass = false;
    for (; j < text.length && text[j] !== '\n'; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '[') inClass = true;
      else if (text[j] === ']') inClass = false;
      else if (text[j] === '/' && !inClass) return j + 1;
    }
    return i; // no closing slash on the line: not a regular expression after all
  }
  if (c !== "'" && c !== '"' && c !== '`') return i;
  let j = i + 1;
  while (j < text.length && text[j] !== c) {
    if (text[j] === '\\') j++;
    else if (c === '`' && text[j] === '$' && text[j + 1] === '{') j = closing(text, j + 1);
    j++;
  }
  return j + 1;
}

/** Whether the `/` at `i` starts a regular expression literal (rather than dividing): what precedes it. */
function startsRegExp(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && /\s/.test(text[j] ?? '')) j--;
  if (j < 0) return true;
  if ('(,=:[!&|?{};+-*%<>~^'.includes(text[j] ?? '')) return true;
  return /\b(?:return|typeof|case|in|of)$/.test(text.slice(Math.max(0, j - 6), j + 1));
}

/** Index of the bracket closing the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const skipped = skipLiteral(text, i);
    if (skipped !== i) {
      i = skipped - 1;
      continue;
    }
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return text.length;
}

/**
 * The top-level pieces of a list starting at `start` (just after an opening bracket or a `:`),
 * split at commas, up to the bracket that closes the list (or, with `single`, the end of one
 * expression: a top-level `,`, `;` or closing bracket).
 */
function pieces(text: string, start: number, single = false): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = start;
  for (let i = start; i < text.length; i++) {
    const skipped = skipLiteral(text, i);
    if (skipped !== i) {
      i = skipped - 1;
      continue;
    }
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        out.push(text.slice(from, i));
        return out;
      }
      depth--;
    } else if (depth === 0 && (c === ',' || (single && c === ';'))) {
      out.push(text.slice(from, i));
      if (single) return out;
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out;
}

/** Every snake_case string literal an expression can evaluate to (every literal in it, in practice). */
function literalsIn(expression: string): string[] {
  const out: string[] = [];
  for (const match of expression.matchAll(/'[^'\\\n]*'|"[^"\\\n]*"/g)) {
    const literal = SNAKE_LITERAL.exec(match[0]);
    const value = literal?.[1] ?? literal?.[2];
    if (value) out.push(value);
  }
  return out;
}

/** Whether each position of `text` is code (not inside a string or template literal or a comment). */
function codePositions(text: string): Uint8Array {
  const code = new Uint8Array(text.length).fill(1);
  for (let i = 0; i < text.length; i++) {
    const skipped = skipLiteral(text, i);
    if (skipped !== i) {
      code.fill(0, i, skipped);
      i = skipped - 1;
    }
  }
  return code;
}

interface CodeParameter {
  name: string;
  index: number;
  exported: boolean;
}

/** Functions with a parameter named `code`: their name, the parameter's position, whether exported. */
export function codeParameters(text: string): CodeParameter[] {
  const found: CodeParameter[] = [];
  const code = codePositions(text);
  const declaration =
    /\b(export\s+)?(?:async\s+)?function\s+(\w+)\s*(?:<[^>]*>)?\s*\(|\b(export\s+)?(?:const|let)\s+(\w+)\s*=\s*(?:async\s*)?\(/g;
  for (const match of text.matchAll(declaration)) {
    const name = match[2] ?? match[4];
    if (!name || !code[match.index ?? 0]) continue;
    const params = pieces(text, (match.index ?? 0) + match[0].length);
    const index = params.findIndex((p) => /^\s*code\??\s*(?::|=|$)/.test(p));
    if (index !== -1) found.push({ name, index, exported: Boolean(match[1] ?? match[3]) });
  }
  return found;
}

/**
 * The codes the sources can produce (see the module comment). A function declared with `export`
 * counts in every source; one that is not, only in its own file (two files may each have a local
 * `refuse` whose first parameter means different things).
 */
export function errorCodesIn(sources: readonly string[]): Set<string> {
  const codes = new Set<string>();
  const declared = sources.map(codeParameters);
  const exported = declared.flat().filter((p) => p.exported);
  for (const [i, text] of sources.entries()) {
    const code = codePositions(text);
    for (const match of text.matchAll(/(?<![\w.$])code\s*:(?!:)/g)) {
      if (!code[match.index ?? 0]) continue;
      const [value = ''] = pieces(text, (match.index ?? 0) + match[0].length, true);
      // A type annotation (`code: string`) names no code.
      for (const found of literalsIn(value)) codes.add(found);
    }
    const local = (declared[i] ?? []).filter((p) => !p.exported);
    for (const { name, index } of [...local, ...exported]) {
      for (const call of text.matchAll(new RegExp(`(?<![\\w$.])${name}\\s*\\(`, 'g'))) {
        if (!code[call.index ?? 0]) continue;
        const argument = pieces(text, (call.index ?? 0) + call[0].length)[index] ?? '';
        for (const found of literalsIn(argument)) codes.add(found);
      }
    }
  }
  return codes;
}
