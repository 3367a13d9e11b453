import type { z } from 'zod';

/** A host that only this machine can reach: `localhost`, `*.localhost` (RFC 6761), 127.0.0.0/8 or ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]' || host === '::1';
}

export const isLoopbackUrl = (url: string) => isLoopbackHost(new URL(url).hostname);

type ExposureEnv = {
  NODE_ENV: string;
  PUBLIC_URL: string;
  ADMIN_URL: string;
  SMTP_URL?: string | undefined;
  DEV_MAILBOX: 'true' | 'false';
  STAFF_TWO_FACTOR?: 'required' | 'optional' | undefined;
};

/**
 * Whether others can reach this platform: production, or a public or admin URL off loopback. Such a
 * platform must not hand mail to anyone who asks (the dev mailbox lets them reset the first admin's
 * password, whose address is predictable) and must protect staff accounts with a second factor.
 */
export const isExposed = (env: Pick<ExposureEnv, 'NODE_ENV' | 'PUBLIC_URL' | 'ADMIN_URL'>) =>
  env.NODE_ENV === 'production' || !isLoopbackUrl(env.PUBLIC_URL) || !isLoopbackUrl(env.ADMIN_URL);

/** Unset STAFF_TWO_FACTOR: required wherever the platform is exposed, optional in local mode. */
export const staffTwoFactorRequired = (env: ExposureEnv) =>
  (env.STAFF_TWO_FACTOR ?? (isExposed(env) ? 'required' : 'optional')) === 'required';

/** Refuses the local-mode conveniences on an exposed platform, and an exposed platform without SMTP or staff 2FA. */
export function checkExposure(env: ExposureEnv, ctx: z.RefinementCtx): void {
  if (!isExposed(env)) return;
  const where = env.NODE_ENV === 'production' ? 'in production' : 'when PUBLIC_URL or ADMIN_URL is not a loopback address';
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (env.DEV_MAILBOX === 'true') {
    issue(
      'DEV_MAILBOX',
      `must be false ${where}: the dev mailbox shows every mail (password resets included) to anyone; it is for local mode only`,
    );
  }
  if (!env.SMTP_URL) issue('SMTP_URL', `is required ${where} (verification and reset mails)`);
  if (env.STAFF_TWO_FACTOR === 'optional') {
    issue('STAFF_TWO_FACTOR', `must be required ${where}: platform staff must use two-factor authentication`);
  }
}
