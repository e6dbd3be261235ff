/**
 * Reading the e-mail a server without SMTP writes to `<data dir>/outbox/` as `.eml` files, as an
 * operator would: the newest message to an address, waiting for the mail sender to write it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The invite token in a message (`gth_invite_…`). */
export const INVITE_TOKEN = /gth_invite_[0-9A-Za-z]{49}/;

/** Quoted-printable soft line breaks and escapes undone, so a long link reads whole. */
export function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

export async function outboxMessage(outboxDir: string, to: string, { mentioning = '', timeoutMs = 5_000 } = {}): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let files: string[] = [];
    try {
      files = readdirSync(outboxDir).filter((f) => f.endsWith('.eml'));
    } catch {
      // not created yet
    }
    const messages = files
      .map((f) => ({ path: join(outboxDir, f), mtime: statSync(join(outboxDir, f)).mtimeMs }))
      .sort((a, b) => a.mtime - b.mtime)
      .map((f) => decodeQuotedPrintable(readFileSync(f.path, 'utf8')))
      .filter((text) => new RegExp(`^To: .*${to.replace(/[.+]/g, '\\$&')}`, 'mi').test(text) && text.includes(mentioning));
    const last = messages.at(-1);
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`no e-mail to ${to} in ${outboxDir}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The invite token of the newest invitation to `resourceId` e-mailed to `to`. */
export async function outboxInviteToken(outboxDir: string, to: string, resourceId: string): Promise<string> {
  const token = INVITE_TOKEN.exec(await outboxMessage(outboxDir, to, { mentioning: `(${resourceId})` }))?.[0];
  if (!token) throw new Error(`no invite token in the e-mail to ${to}`);
  return token;
}
