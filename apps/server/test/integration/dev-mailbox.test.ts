import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsersRepository } from '../../src/auth/users.repo.js';
import { call, createUser, type Harness, startHarness, type TestUser, uniqueEmail } from '../harness.js';
import { configProblems } from '../support/config-problems.js';
import { testConfig } from '../test-env.js';

/**
 * The dev mailbox shows every mail the platform sends, password resets included, to whoever asks:
 * it is served only when DEV_MAILBOX=true on loopback URLs. A platform others can reach needs SMTP
 * and two-factor authentication for its staff.
 */

const MAILBOX = '/api/v1/dev/mailbox';
const mailboxOf = (email: string) => `${MAILBOX}?to=${encodeURIComponent(email)}`;
const documented = (h: Harness) => Object.keys((h.app.swagger() as unknown as { paths: Record<string, unknown> }).paths);

/** A public host name that the tests never resolve or contact (SMTP points at a closed loopback port, and no worker runs). */
const EXPOSED = {
  PUBLIC_URL: 'http://cloud.example.test',
  ADMIN_URL: 'http://admin.cloud.example.test',
  SMTP_URL: 'smtp://127.0.0.1:1',
  DEV_MAILBOX: '',
};

/** The problems a ConfigError lists for the test environment with these overrides, or fails. */
const refusal = (overrides: Record<string, string>) => configProblems(overrides, testConfig);

async function makeStaff(h: Harness, label: string, role: 'admin' | 'support'): Promise<TestUser> {
  const user = await createUser(h, { label, verify: 'direct' });
  await new UsersRepository(h.platform.db).update(user.userId, { platformRole: role });
  return user;
}

let local: Harness;
let off: Harness;
let exposed: Harness;
beforeAll(async () => {
  [local, off, exposed] = await Promise.all([
    // test-env turns the mailbox on, as `npm run up` does in local mode.
    startHarness(),
    // Empty = unset: the default.
    startHarness({ env: { DEV_MAILBOX: '' } }),
    startHarness({ withWorker: false, env: EXPOSED }),
  ]);
});
afterAll(async () => {
  await Promise.all([local?.close(), off?.close(), exposed?.close()]);
});

describe('the dev mailbox', () => {
  it('is not served by default, though mail still reaches the local mailbox table', async () => {
    expect(off.platform.config.devMailbox).toBe(false);
    const email = uniqueEmail('mailbox-off');
    const signup = await call(off.app, 'POST', '/api/v1/auth/signup', {
      body: { email, password: 'correct-Horse-battery-9', name: 'Off', organization: `Org of ${email}` },
    });
    expect(signup.statusCode, signup.body).toBe(202);
    // The worker delivers to the table (no SMTP here); nobody can read it over HTTP.
    const deadline = Date.now() + 10_000;
    while ((await off.platform.mail.mailbox(email)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await off.platform.mail.mailbox(email)).toEqual([
      expect.objectContaining({ to: email, subject: expect.stringContaining('Confirm') }),
    ]);

    const res = await call(off.app, 'GET', mailboxOf(email));
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('route_not_found');
    expect(documented(off)).not.toContain(MAILBOX);
  });

  it('is served when turned on with loopback URLs', async () => {
    expect(local.platform.config).toMatchObject({ devMailbox: true, publicUrl: 'http://localhost:8080' });
    // createUser follows the verification link it reads from the mailbox.
    const user = await createUser(local, { label: 'mailbox-on' });
    const res = await call(local.app, 'GET', mailboxOf(user.email));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([expect.objectContaining({ to: user.email, subject: expect.stringContaining('Confirm') })]);
    expect(documented(local)).toContain(MAILBOX);
  });

  it('is not served on a platform with public URLs', async () => {
    expect(exposed.platform.config.devMailbox).toBe(false);
    const res = await call(exposed.app, 'GET', mailboxOf('admin@cloud.example.test'));
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('route_not_found');
  });
});

describe('start-up refusals', () => {
  it('refuses DEV_MAILBOX=true with a public PUBLIC_URL or ADMIN_URL, naming the setting', async () => {
    const publicUrls: Record<string, string>[] = [{ PUBLIC_URL: EXPOSED.PUBLIC_URL }, { ADMIN_URL: EXPOSED.ADMIN_URL }];
    for (const urls of publicUrls) {
      expect(refusal({ ...urls, SMTP_URL: EXPOSED.SMTP_URL, DEV_MAILBOX: 'true' })).toEqual([
        expect.stringMatching(/^DEV_MAILBOX: must be false when PUBLIC_URL or ADMIN_URL is not a loopback address/),
      ]);
    }
    // The platform itself does not start either.
    await expect(startHarness({ withWorker: false, env: { ...EXPOSED, DEV_MAILBOX: 'true' } })).rejects.toThrow(/DEV_MAILBOX/);
  });

  it('refuses a public PUBLIC_URL without SMTP, or with staff two-factor turned off', () => {
    expect(refusal({ ...EXPOSED, SMTP_URL: '' })).toEqual([expect.stringMatching(/^SMTP_URL: is required when PUBLIC_URL/)]);
    expect(refusal({ ...EXPOSED, STAFF_TWO_FACTOR: 'optional' })).toEqual([
      expect.stringMatching(/^STAFF_TWO_FACTOR: must be required when PUBLIC_URL/),
    ]);
    expect(exposed.platform.config.staffTwoFactor).toBe(true);
  });
});

describe('staff two-factor', () => {
  it('keeps platform staff without two-factor out of admin routes on a public platform; tenant users are unaffected', async () => {
    const [admin, support, owner] = await Promise.all([
      makeStaff(exposed, 'exposed-admin', 'admin'),
      makeStaff(exposed, 'exposed-support', 'support'),
      createUser(exposed, { label: 'exposed-owner', verify: 'direct' }),
    ]);
    for (const staff of [admin, support]) {
      const res = await call(exposed.app, 'GET', '/api/v1/admin/users', { client: staff });
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().code).toBe('totp_setup_required');
    }
    const tenant = await call(exposed.app, 'GET', `/api/v1/tenants/${owner.tenantId}`, { client: owner });
    expect(tenant.statusCode, tenant.body).toBe(200);

    // Once two-factor is on, the admin gets in; support, still without it, does not.
    const setup = await call(exposed.app, 'POST', '/api/v1/me/totp/setup', { client: admin });
    expect(setup.statusCode, setup.body).toBe(200);
    const code = new TOTP({ secret: Secret.fromBase32(setup.json().secret) }).generate();
    const enabled = await call(exposed.app, 'POST', '/api/v1/me/totp/enable', { client: admin, body: { code } });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect((await call(exposed.app, 'GET', '/api/v1/admin/users', { client: admin })).statusCode).toBe(200);
    expect((await call(exposed.app, 'GET', '/api/v1/admin/users', { client: support })).json().code).toBe('totp_setup_required');
  });

  it('is optional in local mode by default', async () => {
    expect(local.platform.config.staffTwoFactor).toBe(false);
    const admin = await makeStaff(local, 'local-admin', 'admin');
    const res = await call(local.app, 'GET', '/api/v1/admin/users', { client: admin });
    expect(res.statusCode, res.body).toBe(200);
  });
});
