import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { AlertsRepository } from '../../src/monitoring/alerts.repo.js';
import { call, createUser, signUpAndLogIn, type TestUser } from '../harness.js';
import { type InstanceDto, uniqueSlug, waitForStatus } from '../support/instances.js';
import { axe, visible } from './pages.js';
import type { E2eStack } from './stack.js';

/**
 * Every screen of the admin dashboard, and the data that keeps them from being empty: the browser
 * tests of the operators' console (axe and screenshots, support's read-only view) walk this list.
 */

export interface AdminScreen {
  /** File name part: admin-<name>-<width>.png */
  name: string;
  path: string;
  /** The page's level-1 heading once it has loaded. */
  heading: string | RegExp;
  /** What to do once it has loaded (choose a view that shows more). */
  prepare?: (page: Page) => Promise<void>;
}

export interface AdminSeed {
  admin: TestUser;
  support: TestUser;
  /** A tenant owner with a running instance, and another with a stopped one. */
  owner: TestUser & { name: string; organization: string };
  instance: InstanceDto;
  other: TestUser & { name: string; organization: string };
  stoppedInstance: InstanceDto;
  /** A job of the maintenance queue that failed in the worker. */
  failedJobId: string;
}

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function adminScreens(seed: AdminSeed): AdminScreen[] {
  return [
    {
      name: 'overview',
      path: '/',
      heading: 'Overview',
      // The last hour: Prometheus started with the test, so it is the range with more than one point per chart.
      prepare: (page) => page.getByRole('radiogroup', { name: 'Time range' }).getByText('1 h', { exact: true }).click(),
    },
    { name: 'users', path: '/users', heading: 'Users' },
    {
      name: 'user-detail',
      path: `/users/${seed.owner.userId}`,
      heading: new RegExp(`${literal(seed.owner.name)}|${literal(seed.owner.email)}`),
    },
    { name: 'tenants', path: '/tenants', heading: 'Tenants' },
    { name: 'tenant-detail', path: `/tenants/${seed.owner.tenantId}`, heading: new RegExp(literal(seed.owner.organization)) },
    { name: 'instances', path: '/instances', heading: 'Instances' },
    {
      name: 'instance-detail',
      path: `/instances/${seed.instance.id}`,
      heading: new RegExp(`${literal(seed.instance.name)}|${literal(seed.instance.slug)}`),
    },
    { name: 'backups-all', path: '/backups', heading: 'Backups' },
    { name: 'odoo-versions', path: '/odoo-versions', heading: 'Odoo versions' },
    { name: 'plans', path: '/plans', heading: 'Plans' },
    { name: 'billing-revenue', path: '/billing', heading: 'Billing' },
    { name: 'billing-subscriptions', path: '/billing?tab=subscriptions', heading: 'Billing' },
    { name: 'billing-failed-payments', path: '/billing?tab=failed-payments', heading: 'Billing' },
    { name: 'billing-events', path: '/billing?tab=events', heading: 'Billing' },
    {
      name: 'nodes',
      path: '/nodes',
      heading: 'Nodes',
      // Each node's egress policy, checked by axe with the rest: `off`, as the tests run with EGRESS_POLICY=off.
      prepare: async (page) => {
        await visible(page.getByText('EGRESS_POLICY=off').first());
      },
    },
    { name: 'system-workers', path: '/system', heading: 'System' },
    { name: 'system-edge-routes', path: '/system?tab=edge', heading: 'System' },
    { name: 'system-certificates', path: '/system?tab=certificates', heading: 'System' },
    { name: 'system-reconciler', path: '/system?tab=reconciler', heading: 'System' },
    { name: 'system-settings', path: '/system?tab=settings', heading: 'System' },
    { name: 'alerts', path: '/alerts', heading: 'Alerts' },
    { name: 'audit-log', path: '/audit-log', heading: 'Audit log' },
  ];
}

type Person = { email: string; name: string; organization: string };

/**
 * Accounts, tenants, instances, a failed job and alerts. `stable`: readable names that stay the same
 * between runs (screenshots, on a fresh database); otherwise unique ones.
 */
export async function seedAdminData(stack: E2eStack, stable: boolean): Promise<AdminSeed> {
  const { h } = stack;
  let n = 0;
  const person = async (p: Person): Promise<TestUser & Person> => {
    if (!stable)
      return { ...(await createUser(h, { label: p.email.split('@')[0], verify: 'direct' })), name: 'Test User', organization: '' };
    return { ...(await signUpAndLogIn(h, { ...p, ip: `10.77.0.${++n}` }, 'direct')), ...p };
  };
  const [admin, support, owner, other] = await Promise.all([
    person({ email: 'grace@odoo-cloud.example', name: 'Grace Hopper', organization: 'Odoo Cloud Ops' }),
    person({ email: 'margaret@odoo-cloud.example', name: 'Margaret Hamilton', organization: 'Odoo Cloud Support' }),
    person({ email: 'katherine@orbit.example', name: 'Katherine Johnson', organization: 'Orbit Analytics' }),
    person({ email: 'alan@bletchley.example', name: 'Alan Turing', organization: 'Bletchley Labs' }),
  ]);
  // createUser names the organization after the address.
  for (const p of [owner, other]) if (!p.organization) p.organization = `Org of ${p.email}`;
  const users = new UsersRepository(h.platform.db);
  await users.update(admin.userId, { platformRole: 'admin' });
  await users.update(support.userId, { platformRole: 'support' });

  const create = async (user: TestUser, name: string, slug: string) => {
    const res = await call(h.app, 'POST', `/api/v1/tenants/${user.tenantId}/instances`, {
      client: user,
      body: { name, slug: stable ? slug : uniqueSlug(slug), version: '18.0' },
    });
    expect(res.statusCode, res.body).toBe(202);
    return res.json() as InstanceDto;
  };
  const [first, second] = await Promise.all([
    create(owner, 'Orbit Analytics', 'orbit-analytics'),
    create(other, 'Bletchley Labs', 'bletchley-labs'),
  ]);
  const instance = await waitForStatus(h, owner, first.id, ['running', 'failed'], 120_000);
  expect(instance.status, instance.lastError ?? '').toBe('running');
  await waitForStatus(h, other, second.id, ['running', 'failed'], 120_000);
  const stop = await call(h.app, 'POST', `/api/v1/instances/${second.id}/stop`, { client: other });
  expect(stop.statusCode, stop.body).toBe(202);
  const stoppedInstance = await waitForStatus(h, other, second.id, ['stopped'], 60_000);

  const failedJobId = await failMaintenanceJob(stack);

  // Alerts as Alertmanager would have reported them: one firing, one resolved earlier.
  const alerts = new AlertsRepository(h.platform.db);
  const startsAt = new Date(Date.now() - 20 * 60_000);
  await alerts.insertFiring({
    fingerprint: `disk-${Date.now()}`,
    name: 'DiskAlmostFull',
    severity: 'warning',
    summary: 'Disk of / is 87% full',
    description: 'The host’s root file system is over 85%: backups and instances may stop writing.',
    labels: { alertname: 'DiskAlmostFull', mountpoint: '/' },
    startsAt,
  });
  await alerts.insertResolved(
    {
      fingerprint: `worker-${Date.now()}`,
      name: 'WorkerDown',
      severity: 'critical',
      summary: 'No worker has sent a heartbeat for 1 minute',
      description: 'Jobs are not being processed.',
      labels: { alertname: 'WorkerDown' },
      startsAt: new Date(Date.now() - 3 * 3600_000),
    },
    new Date(Date.now() - 2.5 * 3600_000),
  );
  return { admin, support, owner, instance, other, stoppedInstance, failedJobId };
}

/**
 * A template build for an Odoo version the catalog does not have (yet): the worker's real handler
 * refuses it and, with a single attempt, BullMQ keeps it as failed. Returns its job id.
 */
export async function failMaintenanceJob(stack: E2eStack, version = `0.e2e${Date.now().toString(36).slice(-6)}`): Promise<string> {
  const job = await stack.h.platform.queues.maintenance.add('build-template', { version }, { attempts: 1 });
  const deadline = Date.now() + 20_000;
  while (!(await job.isFailed())) {
    if (Date.now() > deadline) throw new Error(`job ${job.id} (build-template ${version}) did not fail`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return String(job.id);
}

export interface Finding {
  id: string;
  impact: string;
  help: string;
  nodes: string[];
}

/** Serious and critical axe violations (WCAG 2.1 A/AA and best practices) on the page as it is now. */
export async function seriousViolations(page: Page): Promise<Finding[]> {
  const result = await axe(page).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ').trim()}`),
    }));
}

/**
 * Opens a screen the way a user moves around the console: inside the single-page app, without a full
 * reload. Each reload refreshes the session, and the API limits refreshes per client address (all
 * the browser tests share 127.0.0.1), so a walk through every screen by reloads would hit that limit.
 */
export async function openScreen(page: Page, adminUrl: string, path: string) {
  if (!page.url().startsWith(adminUrl)) {
    await page.goto(`${adminUrl}${path}`);
    return;
  }
  await page.evaluate((to) => {
    window.history.pushState({}, '', to);
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, path);
}

/** Waits until the screen has settled: its heading is there, nothing is loading, fonts are in. */
export async function settle(page: Page, heading: string | RegExp) {
  await visible(page.getByRole('heading', { name: heading, level: 1 }));
  await page
    .getByText(/^Loading/)
    .first()
    .waitFor({ state: 'hidden' })
    .catch(() => undefined);
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  await page.evaluate('document.fonts.ready');
}
