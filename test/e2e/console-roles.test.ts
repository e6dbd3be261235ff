/**
 * Roles and activity in the web console, end to end in headless Chromium and checked through the
 * API: built-in roles read-only with their permissions; a custom role created and edited in the
 * permission × action matrix; a custom permission; the activity log newest first, filtered by
 * actor and action (the filters kept in the address), paged, and exported as CSV.
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
import { createProject, V } from '../support/fixtures.js';

let suite: ConsoleSuite;
hookConsoleSuite((started) => {
  suite = started;
});
let owner: Person;

beforeAll(async () => {
  owner = await createPerson(suite, 'Rhea Roles');
});

describe('Roles', () => {
  it('built-in roles are read-only with their permissions; a custom role is created and edited in the matrix', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Roles project');
    const opened = await openConsole(suite, owner, `/projects/${projectId}/roles`);
    const { page, context } = opened;

    // Built-in: viewable, not editable.
    const viewer = rowOf(page, 'Roles', 'Viewer');
    await viewer.getByText('Built-in').waitFor();
    expect(await viewer.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await viewer.getByRole('button', { name: 'View' }).click();
    let dialog = openDialog(page);
    const builtIn = await suite.api('GET', `${V}/access/project/${projectId}/roles/viewer`, { token: owner.token });
    for (const { name, action } of builtIn.body.permissions as Array<{ name: string; action: string }>) {
      const title = (await suite.api('GET', `${V}/access/project/${projectId}/permissions/${name}`, { token: owner.token })).body
        .title;
      await dialog.getByRole('img', { name: `${title}: ${action}` }).waitFor();
    }
    expect(await dialog.getByRole('checkbox').count()).toBe(0);
    await page.keyboard.press('Escape');

    // A custom permission first, so the role can grant it.
    await page.getByRole('button', { name: 'Create permission' }).click();
    dialog = openDialog(page);
    await dialog.getByLabel('Name').fill('published-posts');
    await dialog.getByLabel('Title').fill('Published posts');
    await choose(dialog, page, 'Type', 'sanity.document.filter');
    await dialog.getByLabel('Filter').fill('_type == "post"');
    await dialog.getByRole('button', { name: 'Create permission' }).click();
    await dialog.waitFor({ state: 'detached' });
    await rowOf(page, 'Custom permissions', 'published-posts').waitFor();
    const permission = await suite.api('GET', `${V}/access/project/${projectId}/permissions/published-posts`, {
      token: owner.token,
    });
    expect(permission.body).toMatchObject({
      isCustom: true,
      type: 'sanity.document.filter',
      config: { filter: '_type == "post"' },
    });

    await page.getByRole('button', { name: 'Create role' }).click();
    dialog = openDialog(page);
    await dialog.getByLabel('Name').fill('release-manager');
    await dialog.getByLabel('Title').fill('Release manager');
    await dialog.getByRole('checkbox', { name: 'API tokens can hold it' }).check();
    await dialog.getByRole('checkbox', { name: 'Published posts: read' }).check();
    await dialog.getByRole('checkbox', { name: 'Published posts: update' }).check();
    await dialog.getByRole('checkbox', { name: 'Project tokens: read' }).check();
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.waitFor({ state: 'detached' });
    await rowOf(page, 'Roles', 'Release manager').getByText('Custom').waitFor();
    const path = `${V}/access/project/${projectId}/roles/release-manager`;
    const created = await suite.api('GET', path, { token: owner.token });
    expect(created.body).toMatchObject({ isCustom: true, appliesToUsers: true, appliesToRobots: true });
    expect(created.body.permissions.map((p: { name: string; action: string }) => `${p.name}.${p.action}`).sort()).toEqual([
      'published-posts.read',
      'published-posts.update',
      'sanity-project-tokens.read',
    ]);

    await rowOf(page, 'Roles', 'Release manager').getByRole('button', { name: 'Edit' }).click();
    dialog = openDialog(page);
    await dialog.getByRole('checkbox', { name: 'Published posts: update' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'Project tokens: create' }).check();
    await dialog.getByRole('button', { name: 'Save role' }).click();
    await dialog.waitFor({ state: 'detached' });
    const edited = await suite.api('GET', path, { token: owner.token });
    expect(edited.body.permissions.map((p: { name: string; action: string }) => `${p.name}.${p.action}`).sort()).toEqual([
      'published-posts.read',
      'sanity-project-tokens.create',
      'sanity-project-tokens.read',
    ]);

    await rowOf(page, 'Roles', 'Release manager').getByRole('button', { name: 'Delete' }).click();
    await confirm(page, 'Delete role');
    await rowOf(page, 'Roles', 'Release manager').waitFor({ state: 'detached' });
    expect((await suite.api('GET', path, { token: owner.token })).status).toBe(404);
    await context.close();
  });
});

describe('Activity', () => {
  it('lists events newest first, filters by actor and action in the address, pages, and exports CSV', async () => {
    const projectId = await createProject(suite.api, owner.token, 'Busy project');
    const robot = await suite.api('POST', `${V}/access/project/${projectId}/robots`, {
      token: owner.token,
      body: { label: 'busy robot', memberships: [{ resourceType: 'project', resourceId: projectId, roleNames: ['developer'] }] },
    });
    // 30 CORS origins added by the robot: more than one page of activity.
    for (let i = 0; i < 30; i++) {
      const res = await suite.api('POST', `${V}/projects/${projectId}/cors`, {
        token: robot.body.token,
        body: { origin: `https://site${i}.activity.example` },
      });
      expect(res.status).toBe(201);
    }
    const opened = await openConsole(suite, owner, `/projects/${projectId}/activity`);
    const { page, context } = opened;
    const table = page.getByRole('table', { name: 'Activity' });
    await table.getByRole('row').nth(1).waitFor();
    const api = await suite.api('GET', `${V}/activity?projectId=${projectId}&limit=25`, { token: owner.token });
    // Newest first, as the API has it: the first row is the last origin added.
    await table.getByRole('row').nth(1).getByText(api.body.data[0].action).waitFor();
    expect(await table.getByRole('row').count()).toBe(26);

    const all = await suite.api('GET', `${V}/activity?projectId=${projectId}&limit=100`, { token: owner.token });
    expect(all.body.data.length).toBeGreaterThan(25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2').waitFor();
    await expect.poll(() => table.getByRole('row').count()).toBe(1 + all.body.data.length - 25);

    // What is being typed survives the page re-rendering: a page turned, its data arriving.
    await page.getByLabel('Actor').fill('typed before the page turned');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1').waitFor();
    await expect.poll(() => table.getByRole('row').count()).toBe(26);
    expect(await page.getByLabel('Actor').inputValue()).toBe('typed before the page turned');

    // Filter by actor: only the robot's events; the filter lands in the address.
    await page.getByLabel('Actor').fill(robot.body.id);
    await page.getByLabel('Action').fill('cors.create');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('actor')).toBe(robot.body.id);
    expect(new URL(page.url()).searchParams.get('action')).toBe('cors.create');
    await page.getByText('Page 1').waitFor();
    // A reload keeps the filters.
    await page.reload();
    await page.getByRole('table', { name: 'Activity' }).waitFor();
    expect(await page.getByLabel('Actor').inputValue()).toBe(robot.body.id);
    await expect.poll(() => table.getByRole('row').filter({ hasText: 'robot.create' }).count()).toBe(0);
    expect(await table.getByRole('row').count()).toBe(26);

    // "Export CSV" downloads the same events with the same filters.
    const link = page.getByRole('link', { name: 'Export CSV' });
    const href = (await link.getAttribute('href')) as string;
    const query = new URL(href, suite.server.url).searchParams;
    expect(query.getAll('projectId')).toEqual([projectId]);
    expect(query.getAll('actorId')).toEqual([robot.body.id]);
    expect(query.getAll('action')).toEqual(['cors.create']);
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const csv = await new Promise<string>((resolve, reject) => {
      download.createReadStream().then((stream) => {
        let text = '';
        stream.on('data', (chunk) => {
          text += chunk.toString();
        });
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      }, reject);
    });
    const lines = csv.trim().split('\n');
    expect(lines.length).toBe(31);
    expect(lines.slice(1).every((line) => line.includes('cors.create') && line.includes(robot.body.id))).toBe(true);
    await context.close();
  });
});
