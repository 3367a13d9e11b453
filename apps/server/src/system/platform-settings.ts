import type { Config } from '../config/config.js';
import type { PlatformSettings } from './system-admin.schemas.js';

/**
 * The operators' read-only view of the configuration. Every field is copied by name from an allow-list:
 * Config also holds the JWT secret, encryption keys, database and SMTP URLs (with passwords), Stripe
 * and S3 keys, and a spread or a deny-list would leak whatever is added to it next.
 */
export function platformSettings(config: Config): PlatformSettings {
  const { billing, backups, edge, monitoring } = config;
  const storage = backups.storage;
  return {
    mode: config.env,
    domains: {
      publicUrl: withoutCredentials(config.publicUrl),
      adminUrl: withoutCredentials(config.adminUrl),
      baseDomain: config.baseDomain,
      instanceDomain: config.instanceDomain,
      publicIpv4: config.domains.publicIpv4 ?? null,
    },
    edge: {
      router: edge.router,
      mode: edge.mode,
      tls: edge.tls,
      httpPort: edge.httpPort,
      httpsPort: edge.httpsPort,
      acmeDirectoryUrl: edge.tls ? withoutCredentials(config.acme.directoryUrl) : null,
    },
    billing: {
      provider: billing.stripe ? 'stripe' : 'manual',
      currency: billing.currency,
      defaultPlan: billing.defaultPlan,
      stripeTax: billing.stripe?.tax ?? false,
      graceDays: round(billing.graceSeconds / 86_400),
      retentionDays: round(billing.retentionSeconds / 86_400),
    },
    backups: {
      storage: storage.driver,
      location:
        storage.driver === 's3'
          ? `s3://${storage.bucket}/${storage.prefix}${storage.endpoint ? ` at ${withoutCredentials(storage.endpoint)}` : ''}`
          : storage.dir,
      encrypted: storage.encryptionKey !== null,
      schedule: 'Daily per instance, at the hour its tenant chose (or spread over the night); kept per the plan’s retention',
      checkIntervalSeconds: backups.scheduleIntervalSeconds,
      concurrency: backups.concurrency,
    },
    security: {
      staffTwoFactor: config.staffTwoFactor,
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlDays: config.refreshTokenTtlDays,
      loginLockThreshold: config.loginLockThreshold,
      loginLockMinutes: config.loginLockMinutes,
      egressPolicy: config.egressPolicy,
    },
    // The SMTP URL carries the relay's password: only whether one is set.
    mail: { from: config.mailFrom, transport: config.smtpUrl ? 'smtp' : 'log' },
    odooVersions: config.odooVersions.map(({ version, image }) => ({ version, image })),
    monitoring: {
      prometheusUrl: monitoring.prometheusUrl ? withoutCredentials(monitoring.prometheusUrl) : null,
      alertmanagerUrl: monitoring.alertmanagerUrl ? withoutCredentials(monitoring.alertmanagerUrl) : null,
    },
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

/** A URL without user, password, query or fragment (a token may ride in any of them). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
