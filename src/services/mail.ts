/**
 * Outgoing e-mail through an outbox (the transactional-outbox pattern):
 *
 * 1. A change that e-mails someone (an invitation) writes the message to `mail_outbox` **in its own
 *    transaction**: the invitation and its message exist together, or neither does, and no
 *    transaction ever waits for a mail server.
 * 2. After the commit, a sender on each node delivers what is due, and retries failures with
 *    backoff for up to three days. Delivery is **at least once**: a node that crashes after the mail
 *    server took a message but before recording it sends it again, with the **same Message-ID**
 *    (the outbox id), so receiving systems can drop the duplicate. Several nodes share the outbox;
 *    a message is claimed for a minute by the node that sends it.
 *
 * With `GATEHOUSE_SMTP_URL` set, messages go out through nodemailer's SMTP transport. Without it,
 * each message is written as `<id>.eml` (mode 0600) into `<data dir>/outbox/`, where the operator
 * reads it. No secret is logged, in either mode: log lines name the message's id and recipient.
 *
 * The secret a message carries (an invite token) is not stored in clear while it waits: the text
 * holds a placeholder and the secret is sealed with the server key (model/secret-box.ts); once the
 * message is sent or given up, its content is erased from the table.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type { MailConfig } from '../config.js';
import { sortableId } from '../model/ids.js';
import { openSecret, sealSecret } from '../model/secret-box.js';
import type { ServerKey } from '../model/tokens.js';
import { claimMail, dueMail, insertMail, markMailFailed, markMailRetry, markMailSent } from '../store/mail.js';
import type { Executor, MailOutboxRow } from '../store/schema.js';
import type { Deps } from './context.js';

/** nodemailer, loaded with the first message delivered (a node that never sends e-mail never loads it). */
let nodemailer: typeof import('nodemailer');

/** Where a message's secret goes in its text and HTML. */
export const SECRET_PLACEHOLDER = '{{secret}}';

export interface MailMessage {
  /** What it is for, e.g. `invite` (logged). */
  kind: string;
  to: string;
  subject: string;
  /** Text and HTML with SECRET_PLACEHOLDER where the secret goes. */
  text: string;
  html: string;
  /** Put in place of SECRET_PLACEHOLDER when the message is sent; stored only sealed. */
  secret?: string;
}

/** Limits on one SMTP exchange, so a stuck server cannot hold a sender for long. */
const SMTP_TIMEOUT_MS = 10_000;
/** How long a node may work on a message before another node may take it over. */
const CLAIM_MS = 60_000;
/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 15 * 60_000;
/** After this long, a message that could not be delivered is given up (and logged as an error). */
export const GIVE_UP_AFTER_MS = 3 * 86_400_000;
/** Messages taken per round. */
const BATCH = 20;

export interface MailTiming {
  /** The first retry waits this long; each next one twice as long, up to 15 minutes. */
  retryBaseMs: number;
  /** How often each node looks for due messages, besides right after a commit. */
  pollMs: number;
}

export const DEFAULT_MAIL_TIMING: MailTiming = { retryBaseMs: 5_000, pollMs: 5_000 };

function sealContext(id: string): string {
  return `mail_outbox:${id}`;
}

/** Writes a message to the outbox, in the caller's transaction. Returns its id (also its Message-ID). */
export async function enqueueMail(db: Executor, keys: readonly ServerKey[], now: Date, message: MailMessage): Promise<string> {
  const id = sortableId(now.getTime());
  const payload = {
    subject: message.subject,
    text: message.text,
    html: message.html,
    secret: message.secret === undefined ? null : sealSecret(message.secret, keys, sealContext(id)),
  };
  await insertMail(db, {
    id,
    kind: message.kind,
    recipient: message.to,
    payload: JSON.stringify(payload),
    created_at: now.toISOString(),
    attempts: 0,
    next_attempt_at: now.toISOString(),
    claimed_until: null,
    sent_at: null,
    failed_at: null,
    last_error: null,
  });
  return id;
}

/** The sender: delivers due messages after commits and on a timer, retrying with backoff. */
export class MailService {
  private transport: Transporter | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly config: MailConfig,
    private readonly timing: MailTiming = DEFAULT_MAIL_TIMING,
  ) {}

  get mode(): 'smtp' | 'outbox' {
    return this.config.smtpUrl ? 'smtp' : 'outbox';
  }

  /** Starts the periodic round (servers call this once they listen). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.wake(), this.timing.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops the timer and waits for the round in progress (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    this.transport?.close();
    this.transport = null;
  }

  /** Delivers what is due now, soon (after a commit that enqueued a message). Never throws. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error: unknown) => this.deps.log?.warn({ err: error }, 'mail outbox round failed'))
      .finally(() => {
        this.running = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** One round: everything due, in batches, until nothing due is left. Resolves when done (tests). */
  async flush(): Promise<void> {
    this.wake();
    while (this.running) await this.running;
  }

  private async round(): Promise<void> {
    for (;;) {
      const now = this.deps.now();
      const due = await dueMail(this.deps.db, now.toISOString(), BATCH);
      if (due.length === 0) return;
      let sent = 0;
      for (const row of due) {
        if (this.stopped) return;
        const claimedUntil = new Date(now.getTime() + CLAIM_MS).toISOString();
        if (!(await claimMail(this.deps.db, row.id, now.toISOString(), claimedUntil))) continue;
        await this.attempt(row);
        sent += 1;
      }
      if (sent === 0) return;
    }
  }

  private async attempt(row: MailOutboxRow): Promise<void> {
    const now = this.deps.now();
    const attempts = row.attempts + 1;
    try {
      await this.deliver(row);
    } catch (error) {
      const code = errorCode(error);
      const age = now.getTime() - Date.parse(row.created_at);
      if (age >= GIVE_UP_AFTER_MS) {
        await markMailFailed(this.deps.db, row.id, now.toISOString(), attempts, code);
        this.deps.log?.warn(
          { mail: { id: row.id, kind: row.kind, to: row.recipient, attempts, error: code } },
          'e-mail given up after three days of failed attempts',
        );
        return;
      }
      const wait = Math.min(MAX_BACKOFF_MS, this.timing.retryBaseMs * 2 ** (attempts - 1));
      await markMailRetry(this.deps.db, row.id, new Date(now.getTime() + wait).toISOString(), attempts, code);
      this.deps.log?.warn(
        {
          mail: { id: row.id, kind: row.kind, to: row.recipient, attempts, error: code, retryInSeconds: Math.ceil(wait / 1000) },
        },
        'e-mail could not be delivered; it will be retried',
      );
      return;
    }
    await markMailSent(this.deps.db, row.id, this.deps.now().toISOString(), attempts);
  }

  private async deliver(row: MailOutboxRow): Promise<void> {
    if (row.payload === null) throw new Error('the message has no content');
    nodemailer ??= (await import('nodemailer')).default;
    const payload = JSON.parse(row.payload) as { subject: string; text: string; html: string; secret: string | null };
    const secret = payload.secret === null ? '' : openSecret(payload.secret, this.deps.keys, sealContext(row.id));
    const fill = (text: string) => text.split(SECRET_PLACEHOLDER).join(secret);
    const mail = {
      from: this.config.from,
      to: row.recipient,
      subject: payload.subject,
      text: fill(payload.text),
      html: fill(payload.html),
      // The same id on every attempt: a message delivered twice can be recognized as one.
      messageId: `<${row.id}@gatehouse>`,
    };
    if (this.config.smtpUrl) {
      await this.smtp(this.config.smtpUrl).sendMail(mail);
      return;
    }
    const raw = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }).sendMail(mail);
    mkdirSync(this.config.outboxDir, { recursive: true, mode: 0o700 });
    const file = join(this.config.outboxDir, `${row.id}.eml`);
    try {
      writeFileSync(file, raw.message as Buffer, { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    } catch (error) {
      // Written by an earlier attempt that did not get to record it: the same message, once.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.deps.log?.info(
      { mail: { id: row.id, kind: row.kind, to: row.recipient, file } },
      'no SMTP server configured (GATEHOUSE_SMTP_URL): e-mail written to the outbox folder',
    );
  }

  private smtp(url: string): Transporter {
    const parsed = new URL(url);
    const secure = parsed.protocol === 'smtps:';
    this.transport ??= nodemailer.createTransport({
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port),
      secure,
      ...(parsed.username
        ? { auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } }
        : {}),
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    });
    return this.transport;
  }
}

/** What went wrong, for the log and `last_error`: a code, never the message (it may quote content). */
function errorCode(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown; name?: unknown };
  const parts = [e.code, e.responseCode].filter((p) => typeof p === 'string' || typeof p === 'number');
  return (parts.length > 0 ? parts.join(' ') : typeof e.name === 'string' ? e.name : 'error').slice(0, 100);
}
