/**
 * The `gatehouse` command line.
 *
 * `buildProgram()` assembles the commands and is side-effect free, so tests can inspect or run it
 * in-process; `main()` runs it against the real process and turns every failure into one printed
 * error and an exit code (0 ok, 1 failed, 2 bad usage or configuration; see docs/cli.md).
 */
import { Command, CommanderError } from 'commander';
import { cliVersion } from './client-options.js';
import { registerAdmin } from './commands/admin.js';
import { registerAudit } from './commands/audit.js';
import { registerAuth } from './commands/auth.js';
import { registerCheck } from './commands/check.js';
import { registerCors } from './commands/cors.js';
import { registerDebug } from './commands/debug.js';
import { registerExplain } from './commands/explain.js';
import { registerInvites } from './commands/invites.js';
import { registerLogin } from './commands/login.js';
import { registerLogout } from './commands/logout.js';
import { registerMigrate } from './commands/migrate.js';
import { registerOrgs } from './commands/orgs.js';
import { registerPermissions } from './commands/permissions.js';
import { registerProjects } from './commands/projects.js';
import { registerRequests } from './commands/requests.js';
import { registerRobots } from './commands/robots.js';
import { registerRoles } from './commands/roles.js';
import { registerServe } from './commands/serve.js';
import { registerUsers } from './commands/users.js';
import { type CliContext, processContext } from './context.js';
import { ApiError, CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';

export function buildProgram(ctx: CliContext = processContext()): Command {
  // Output, exit and help-after-error settings are set first: `.command()` copies them to every
  // subcommand created afterwards.
  const program = new Command('gatehouse')
    .description(
      'Gatehouse: a self-hostable Access API. Run a server, manage organizations, projects, robot tokens, roles and permissions.',
    )
    .version(cliVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .exitOverride()
    // `projects list|create|get` rather than `projects`: the top-level help shows every command.
    .configureHelp({
      subcommandTerm: (command) => {
        const subs = command.commands.filter((sub) => sub.name() !== 'help').map((sub) => sub.name());
        // `robots|tokens`: a command's aliases are names people type too.
        const names = [command.name(), ...command.aliases()].join('|');
        if (subs.length > 0) return `${names} ${subs.join('|')}`;
        const args = command.registeredArguments.map((arg) => (arg.required ? `<${arg.name()}>` : `[${arg.name()}]`));
        return [command.name(), command.options.length > 0 ? '[options]' : '', ...args].filter(Boolean).join(' ');
      },
    })
    .addHelpText(
      'after',
      `
Environment:
  GATEHOUSE_API_HOST    API address for client commands (default http://127.0.0.1:3333)
  GATEHOUSE_AUTH_TOKEN  bearer token; overrides the one saved by \`gatehouse login\`
  GATEHOUSE_*           server configuration for serve, migrate and admin (see docs/cli.md)

Get started:
  gatehouse serve                                   # in one terminal
  gatehouse admin create-user --email you@example.com
  export GATEHOUSE_AUTH_TOKEN=<the printed token>
  gatehouse projects create "My project"`,
    );

  // Operator commands: they open the database themselves.
  registerServe(program, ctx);
  registerMigrate(program, ctx);
  registerAdmin(program, ctx);
  registerAudit(program, ctx);
  // Client commands: they talk to the HTTP API like any script would.
  registerProjects(program, ctx);
  registerOrgs(program, ctx);
  registerRobots(program, ctx);
  registerCors(program, ctx);
  registerUsers(program, ctx);
  registerRoles(program, ctx);
  registerPermissions(program, ctx);
  registerRequests(program, ctx);
  registerCheck(program, ctx);
  registerExplain(program, ctx);
  registerLogin(program, ctx);
  registerLogout(program, ctx);
  registerDebug(program, ctx);
  registerAuth(program, ctx);
  registerInvites(program, ctx);

  return program;
}

/**
 * Runs the CLI and returns the exit code. Errors are printed here and only here: one line
 * `gatehouse: <message>` (plus indented reason and hint lines), or with --json the server's error
 * body as JSON on stderr.
 */
export async function run(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  let json = false;
  program.hook('preAction', (_program, action) => {
    json = Boolean(action.opts().json);
  });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help, the version or its own message.
      if (error.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      // No message: the command's output already is the answer (e.g. `explain` when denied).
      if (error.message === '') return error.exitCode;
      if (json && error instanceof ApiError && error.body !== undefined) {
        ctx.stderr(`${JSON.stringify(error.body)}\n`);
      } else if (json) {
        ctx.stderr(`${JSON.stringify({ error: error.message })}\n`);
      } else {
        ctx.stderr(`gatehouse: ${error.message}\n${error.details.map((line) => `${line}\n`).join('')}`);
      }
      return error.exitCode;
    }
    // A bug, not a user error: say so, but never dump objects that might hold a token.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    ctx.stderr(`gatehouse: unexpected error: ${message}\n`);
    return EXIT_FAILURE;
  }
}

export async function main(argv: string[] = process.argv): Promise<void> {
  process.exitCode = await run(argv);
}
