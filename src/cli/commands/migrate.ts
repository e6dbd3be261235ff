/** `gatehouse migrate`: apply pending database migrations and report which ones ran. */
import type { Command } from 'commander';
import { withJson } from '../client-options.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { type ConfigOptions, firstLine, loadOperatorConfig, operatorModules, withDatabaseOptions } from '../operator.js';
import { printJson, printLines } from '../output.js';

export function registerMigrate(program: Command, ctx: CliContext): void {
  withJson(withDatabaseOptions(program.command('migrate')))
    .description('apply pending database migrations (serve also does this at start-up)')
    .addHelpText(
      'after',
      `
Safe while a server runs on the same database (migrations run under a lock, once). After
upgrading Gatehouse, migrate and then restart the servers still running the older version.`,
    )
    .action(async (options: ConfigOptions & { json?: boolean }) => {
      const config = loadOperatorConfig(ctx, options);
      const { openStore } = await operatorModules.store();
      const { migrateToLatest } = await operatorModules.migrations();
      const store = openStore(config.database);
      let applied: string[];
      try {
        const result = await migrateToLatest(store.db);
        applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      } catch (error) {
        throw new CliError(firstLine(error));
      } finally {
        await store.close();
      }
      if (options.json) {
        printJson(ctx, { database: config.database.dialect, applied });
      } else if (applied.length === 0) {
        printLines(ctx, [`The ${config.database.dialect} database is up to date; no migrations to apply.`]);
      } else {
        printLines(ctx, [
          `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to the ${config.database.dialect} database:`,
          ...applied.map((name) => `  ${name}`),
        ]);
      }
    });
}
