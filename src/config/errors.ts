/**
 * How configuration fails: one ConfigError whose message is a single line naming the setting, and
 * the number parser every area shares.
 */

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** An integer from 1 to `max` in `env[name]`; unset or empty: `fallback`. */
export function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) {
    throw new ConfigError(`${name} must be an integer from 1 to ${max}, got "${text}"`);
  }
  return value;
}
