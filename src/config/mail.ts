/**
 * Outgoing e-mail (docs/collaboration.md, "Invitations"): GATEHOUSE_SMTP_URL, GATEHOUSE_MAIL_FROM,
 * GATEHOUSE_INVITE_TTL_DAYS.
 */
import { join } from 'node:path';
import { ConfigError, positiveInteger } from './errors.js';
import type { MailConfig } from './types.js';

export function loadMailConfig(env: NodeJS.ProcessEnv, dataDir: string): MailConfig {
  const smtpUrl = env.GATEHOUSE_SMTP_URL === undefined || env.GATEHOUSE_SMTP_URL === '' ? null : env.GATEHOUSE_SMTP_URL;
  if (smtpUrl !== null) {
    let url: URL | undefined;
    try {
      url = new URL(smtpUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') {
      throw new ConfigError(
        'GATEHOUSE_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtps://user:password@mail.example.com:465',
      );
    }
  }
  const from = env.GATEHOUSE_MAIL_FROM || 'Gatehouse <gatehouse@localhost>';
  if (from.length > 320 || !/^[^\s@<>]+@[^\s@<>]+$|^[^<>@]*<[^\s@<>]+@[^\s@<>]+>$/.test(from)) {
    throw new ConfigError(
      `GATEHOUSE_MAIL_FROM must be an address such as "Gatehouse <gatehouse@example.com>", got "${from.slice(0, 100)}"`,
    );
  }
  return {
    smtpUrl,
    from,
    inviteTtlDays: positiveInteger(env, 'GATEHOUSE_INVITE_TTL_DAYS', 7, 365),
    outboxDir: join(dataDir, 'outbox'),
  };
}
