/**
 * Configuration: flags override environment variables, which override defaults.
 *
 * Every problem is reported as one ConfigError whose message is a single line naming the setting,
 * so `gatehouse serve` can print it and exit without a stack trace. This file is the entry point;
 * each area lives in src/config/: `types.ts` (the shape), `load.ts` (`loadConfig`, `describeConfig`),
 * `server.ts` (listener, public URL, proxies, database URL, metrics), `identity.ts` (logins and
 * tokens), `rate-limits.ts` (abuse limits), `mail.ts` (outgoing e-mail), `secret-file.ts` (the
 * SQLite default's secret file) and `errors.ts` (`ConfigError`).
 */
export { ConfigError } from './config/errors.js';
export { MIN_IDLE_TIMEOUT_MINUTES } from './config/identity.js';
export { describeConfig, loadConfig } from './config/load.js';
export { loadMailConfig } from './config/mail.js';
export { DEFAULT_RATE_LIMITS, type RateLimits } from './config/rate-limits.js';
export { parseMetricsAddress } from './config/server.js';
export type { Config, ConfigFlags, IdentityConfig, MailConfig } from './config/types.js';
