// Every table of the platform, for drizzle-kit and the typed client.
export * from '../audit/audit.tables.js';
export * from '../auth/auth.tables.js';
export * from '../backups/backups.tables.js';
export * from '../billing/billing.tables.js';
export * from '../billing/plans.tables.js';
export * from '../certificates/certificates.tables.js';
export * from '../domains/domains.tables.js';
export * from '../instances/instance-moves.tables.js';
export * from '../instances/instances.tables.js';
export * from '../mail/mail.tables.js';
export * from '../monitoring/alerts.tables.js';
export * from '../tenants/tenants.tables.js';
