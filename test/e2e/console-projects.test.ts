/**
 * Projects, members and access requests in the web console, end to end in headless Chromium and
 * checked through the API: "Create project"; "Invite members" with several roles, "Revoke";
 * changing a member's roles and removing a member; the last-administrator and no-escalation
 * refusals shown with the server's own explanation; approving (with roles) and declining access
 * requests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleSuite,
  choose,
  confirm,
  createPerson,
  hookConsoleSuite,
  openConsole,
  openDialog,
  type Person,
  rowOf,
} from '../support/console.js';
import { addMember, createOrganization, createProject, V } from '../support/fixtures.js';

let suite: ConsoleSuite;
hookConsoleSuite((started) => {
  suite = started;
});
let owner: Person;

beforeAll(async () => {
  owner = await createPerson(suite, 'Olga Owner');
});

async function rolesOf(projectId: string, userId: string): Promise<string[]> {
  const res = await suite.api('GET', `${V}/access/project/${projectId}/users/${userId}`, { token: owner.token });
  return res.status === 200 ? [...res.body.memberships[0].roleNames].sort() : [];
}

describe('Projects', () => {
  it('lists the person’s projects and organizations, and "Create project" creates one inside an organization', async () => {
    await createProject(suite.api, owner.token, 'Existing project');
    const organizationId = await createOrganization(suite.api, owner.token, 'Olga’s org');
    const opened = await openConsole(suite, owner, '/projects');
    const { page, context } = opened;
    await page.getByRole('list', { name: 'Projects' }).getByRole('link', { name: 'Existing project' }).waitFor();
    await page.getByRole('list', { name: 'Organizations' }).getByRole('link', { name: 'Olga’s org' }).waitFor();

    await page.getByRole('button', { name: 'Create project' }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel('Project name').fill('Launch site');
    await choose(dialog, page, 'Organization', 'Olga’s org');
    await dialog.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('heading', { name: 'Launch site', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'People' }).waitFor();

    const projects = await suite.api('GET', `${V}/projects?includeMembers=true`, { token: owner.token });
    const created = projects.body.find((p: { displayName: string }) => p.displayName === 'Launch site');
    expect(created).toMatchObject({ organizationId });
    expect(created.members).toEqual([
      expect.objectContaining({ id: owner.userId, roles: [expect.objectContaining({ name: 'administrator' })] }),
    ]);
    expect(new URL(page.url()).pathname).toBe(`/console/projects/${created.id}/members`);
    await context.close();
  });
});

describe('Members', () => {
  it('"Invite members" with an e-mail and several roles; the invitation is listed and "Revoke" ends it', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Invites');
    const opened = await openConsole(suite, owner, `/projects/${projectId}/members`);
    const { page, context } = opened;
    await page.getByText('No pending invitations.').waitFor();
    await page.getByRole('button', { name: 'Invite members' }).click();
    const dialog = openDialog(page);
    await dialog.getByLabel('E-mail').fill('newcomer@example.com');
    await dialog.getByRole('checkbox', { name: 'Editor' }).check();
    await dialog.getByRole('checkbox', { name: 'Viewer' }).check();
    await dialog.getByRole('button', { name: 'Send invite' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = rowOf(page, 'Pending invitations', 'newcomer@example.com');
    await row.getByText('Editor').waitFor();
    await row.getByText('Viewer').waitFor();

    const invites = await suite.api('GET', `${V}/access/project/${projectId}/invites`, { token: owner.token });
    expect(invites.body.data).toEqual([
      expect.objectContaining({ email: 'newcomer@example.com', status: 'pending', roleNames: ['editor', 'viewer'] }),
    ]);
    const inviteId = invites.body.data[0].id;

    await row.getByRole('button', { name: 'Revoke' }).click();
    await confirm(page, 'Revoke invitation');
    await page.getByText('No pending invitations.').waitFor();
    const after = await suite.api('GET', `${V}/access/project/${projectId}/invites?status=revoked`, { token: owner.token });
    expect(after.body.data.map((i: { id: string }) => i.id)).toEqual([inviteId]);
    await context.close();
  });

  it('changes a member’s roles and removes a member; refuses to leave nobody able to manage, with the server’s explanation', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Roles and removal');
    const ben = await createPerson(suite, 'Ben Member');
    await addMember(suite.server, { type: 'project', id: projectId }, ben.userId, ['editor']);
    const opened = await openConsole(suite, owner, `/projects/${projectId}/members`);
    const { page, context } = opened;

    await rowOf(page, 'People', ben.email).getByRole('button', { name: 'Change roles' }).click();
    let dialog = openDialog(page);
    await dialog.getByRole('checkbox', { name: 'Editor' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Developer' }).check();
    await dialog.getByRole('button', { name: 'Save roles' }).click();
    await dialog.waitFor({ state: 'detached' });
    await rowOf(page, 'People', ben.email).getByText('Developer').waitFor();
    expect(await rolesOf(projectId, ben.userId)).toEqual(['developer']);

    // The last administrator cannot give up administration: the server says why, and nothing changes.
    const refusal = await suite.api('PUT', `${V}/access/project/${projectId}/users/${owner.userId}/roles`, {
      token: owner.token,
      body: { roleNames: ['viewer'] },
    });
    expect(refusal.status).toBe(409);
    await rowOf(page, 'People', owner.email).getByRole('button', { name: 'Change roles' }).click();
    dialog = openDialog(page);
    await dialog.getByRole('checkbox', { name: 'Administrator' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Viewer' }).check();
    await dialog.getByRole('button', { name: 'Save roles' }).click();
    const alert = dialog.getByRole('alert');
    await alert.getByText(refusal.body.message).waitFor();
    await alert.getByText(refusal.body.reason.hint).waitFor();
    await alert.getByText(refusal.body.reason.code).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await rolesOf(projectId, owner.userId)).toEqual(['administrator']);

    await rowOf(page, 'People', ben.email).getByRole('button', { name: 'Remove' }).click();
    await confirm(page, 'Remove member');
    await rowOf(page, 'People', ben.email).waitFor({ state: 'detached' });
    expect(await rolesOf(projectId, ben.userId)).toEqual([]);
    await context.close();
  });

  it('a member who may manage members but not grant a role is refused with the server’s no-escalation reason', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Escalation');
    const role = await suite.api('POST', `${V}/access/project/${projectId}/roles`, {
      token: owner.token,
      body: {
        name: 'member-manager',
        title: 'Member manager',
        appliesToUsers: true,
        appliesToRobots: false,
        permissions: [
          { name: 'sanity-project', action: 'read' },
          { name: 'sanity-project-members', action: 'read' },
          { name: 'sanity-project-members', action: 'update' },
          { name: 'sanity-project-roles', action: 'read' },
        ],
      },
    });
    expect(role.status, role.text).toBe(201);
    const mia = await createPerson(suite, 'Mia Manager');
    const cleo = await createPerson(suite, 'Cleo Colleague');
    await addMember(suite.server, { type: 'project', id: projectId }, mia.userId, ['member-manager']);
    await addMember(suite.server, { type: 'project', id: projectId }, cleo.userId, ['viewer']);
    const opened = await openConsole(suite, mia, `/projects/${projectId}/members`);
    const { page, context } = opened;
    await rowOf(page, 'People', cleo.email).getByRole('button', { name: 'Change roles' }).click();
    const dialog = openDialog(page);
    await dialog.getByRole('checkbox', { name: 'Editor' }).check();
    await dialog.getByRole('button', { name: 'Save roles' }).click();
    const refusal = await suite.api('PUT', `${V}/access/project/${projectId}/users/${cleo.userId}/roles`, {
      token: mia.token,
      body: { roleNames: ['viewer', 'editor'] },
    });
    expect(refusal.status).toBe(403);
    await dialog.getByRole('alert').getByText(refusal.body.reason.hint).waitFor();
    expect(await rolesOf(projectId, cleo.userId)).toEqual(['viewer']);
    await context.close();
  });
});

describe('Access requests', () => {
  it('"Approve" with the chosen roles makes the person a member; "Decline" declines', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Requests');
    const evan = await createPerson(suite, 'Evan Asker');
    const fay = await createPerson(suite, 'Fay Asker');
    const asked = await suite.api('POST', `${V}/access/project/${projectId}/requests`, {
      token: evan.token,
      body: { note: 'Copy editing for the spring issue', requestedRole: 'editor' },
    });
    expect(asked.status, asked.text).toBe(201);
    expect((await suite.api('POST', `${V}/access/project/${projectId}/requests`, { token: fay.token, body: {} })).status).toBe(
      201,
    );
    const opened = await openConsole(suite, owner, `/projects/${projectId}/requests`);
    const { page, context } = opened;

    const evanRow = rowOf(page, 'Access requests', 'Copy editing for the spring issue');
    await evanRow.getByText('pending').waitFor();
    await evanRow.getByRole('button', { name: 'Approve' }).click();
    const dialog = openDialog(page);
    // The requested role is suggested; add another.
    expect(await dialog.getByRole('checkbox', { name: 'Editor' }).isChecked()).toBe(true);
    await dialog.getByRole('checkbox', { name: 'Developer' }).check();
    await dialog.getByRole('button', { name: 'Approve' }).click();
    await dialog.waitFor({ state: 'detached' });
    await evanRow.getByText('accepted').waitFor();
    expect(await rolesOf(projectId, evan.userId)).toEqual(['developer', 'editor']);

    // Who asked is named, as the server has it.
    await evanRow.getByText(evan.email).waitFor();
    const fayRow = rowOf(page, 'Access requests', fay.email);
    await fayRow.getByRole('button', { name: 'Decline' }).click();
    await confirm(page, 'Decline');
    await fayRow.getByText('declined').waitFor();
    const mine = await suite.api('GET', `${V}/access/requests/me`, { token: fay.token });
    expect(mine.body[0]).toMatchObject({ resourceId: projectId, status: 'declined' });
    expect(await rolesOf(projectId, fay.userId)).toEqual([]);
    await context.close();
  });
});
