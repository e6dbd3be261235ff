/** `gatehouse projects list|create|get`: the Projects API. */
import type { Command } from 'commander';
import type { Project, ProjectMember } from '../api-types.js';
import { type ClientOptions, connect, withClientOptions } from '../client-options.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { formatFields, formatTime, printJson, printLines, printTable, text } from '../output.js';

export function registerProjects(program: Command, ctx: CliContext): void {
  const projects = program.command('projects').description('list, create and inspect projects');

  withClientOptions(projects.command('list'))
    .description('list the projects you are a member of')
    .action(async (options: ClientOptions) => {
      const { client } = connect(ctx, options);
      const list = await client.get<Project[]>('/projects');
      if (options.json) return printJson(ctx, list);
      printTable(
        ctx,
        list,
        [
          { header: 'ID', value: (p) => p.id },
          { header: 'NAME', value: (p) => p.displayName },
          { header: 'ORGANIZATION', value: (p) => text(p.organizationId) },
          { header: 'MEMBERS', value: (p) => String(p.members?.length ?? 0) },
          { header: 'CREATED', value: (p) => formatTime(p.createdAt) },
        ],
        'No projects. Create one with `gatehouse projects create <name>`.',
      );
    });

  withClientOptions(projects.command('create'))
    .description('create a project; you become its administrator')
    .argument('<displayName>', 'the project name people see')
    .option('--organization <orgId>', 'create the project inside this organization')
    .action(async (displayName: string, options: ClientOptions & { organization?: string }) => {
      if (displayName.trim() === '') throw usageError('the project name must not be empty');
      const { client } = connect(ctx, options);
      const project = await client.post<Project>('/projects', {
        displayName,
        ...(options.organization ? { organizationId: options.organization } : {}),
      });
      if (options.json) return printJson(ctx, project);
      printLines(ctx, [`Created project ${project.id} (${project.displayName})`]);
    });

  withClientOptions(projects.command('get'))
    .description('show one project and its members')
    .argument('<projectId>', 'project id')
    .action(async (projectId: string, options: ClientOptions) => {
      const { client } = connect(ctx, options);
      const project = await client.get<Project>(`/projects/${encodeURIComponent(projectId)}`);
      if (options.json) return printJson(ctx, project);
      ctx.stdout(
        formatFields([
          ['ID', project.id],
          ['Name', project.displayName],
          ['Organization', text(project.organizationId)],
          ['Created', formatTime(project.createdAt)],
          ['Members', String(project.members?.length ?? 0)],
        ]),
      );
      const members = project.members ?? [];
      if (members.length > 0) {
        ctx.stdout('\n');
        printTable(
          ctx,
          members,
          [
            { header: 'MEMBER', value: (m) => text(m.id) },
            { header: 'KIND', value: (m) => (m.isRobot ? 'robot' : 'user') },
            { header: 'ROLES', value: (m) => memberRoles(m) },
          ],
          '',
        );
      }
    });
}

function memberRoles(member: ProjectMember): string {
  const names = member.roles.map((r) => r.name).filter((n) => n !== '');
  return names.length > 0 ? names.join(', ') : '-';
}
