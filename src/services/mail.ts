/**
 * Outgoing e-mail. With `GATEHOUSE_SMTP_URL` set, messages go out through nodemailer's SMTP
 * transport. Without it, each message is written as an `.eml` file into `<data dir>/outbox/` and
 * its link is logged at info level, so the embedded default works with no mail server at all. The
 * link carries a secret (an invite token): it is logged only in that no-SMTP mode, where the
 * operator reading the log is the only way it reaches anybody.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Transporter } from 'nodemailer';
import type { MailConfig } from '../config.js';
import { Problem } from '../model/errors.js';

/** nodemailer, loaded by the first e-mail sent (`send`, before anything uses it). */
let nodemailer: typeof import('nodemailer');

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The one link the message is about; logged in outbox mode. */
  link: string;
}

/** Where a message went: the SMTP server, or a file of the outbox. */
export type Delivery = { via: 'smtp' } | { via: 'outbox'; file: string };

/** The slice of a logger mail needs (Fastify's request logger, pino). */
export interface MailLog {
  info(details: object, message: string): void;
}

/** Limits on one SMTP exchange, so a stuck server cannot hold a request (and its transaction) for long. */
const SMTP_TIMEOUT_MS = 10_000;

export class MailService {
  private transport: Transporter | null = null;

  constructor(private readonly config: MailConfig) {}

  get mode(): 'smtp' | 'outbox' {
    return this.config.smtpUrl ? 'smtp' : 'outbox';
  }

  /** Sends one message; a failure is a 502 that says where to look, and nothing is half-sent. */
  async send(message: MailMessage, log: MailLog): Promise<Delivery> {
    nodemailer ??= (await import('nodemailer')).default;
    const mail = { from: this.config.from, to: message.to, subject: message.subject, text: message.text, html: message.html };
    if (this.config.smtpUrl) {
      try {
        await this.smtp(this.config.smtpUrl).sendMail(mail);
      } catch (error) {
        throw new Problem(502, `The e-mail to ${message.to} could not be sent`, {
          code: 'mail_delivery_failed',
          smtpError: (error as { code?: string }).code ?? 'unknown',
          hint: 'Nothing was created. Check GATEHOUSE_SMTP_URL and that the mail server accepts mail from this host, then try again; the server log has the details.',
        });
      }
      return { via: 'smtp' };
    }
    const raw = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }).sendMail(mail);
    mkdirSync(this.config.outboxDir, { recursive: true, mode: 0o700 });
    const file = join(
      this.config.outboxDir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`,
    );
    writeFileSync(file, raw.message as Buffer, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    log.info(
      { mail: { to: message.to, subject: message.subject, file, link: message.link } },
      'no SMTP server configured (GATEHOUSE_SMTP_URL): e-mail written to the outbox',
    );
    return { via: 'outbox', file };
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

  close(): void {
    this.transport?.close();
    this.transport = null;
  }
}
