import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { adminRoutes } from '../admin/admin.routes.js';
import { adminInstancesRoutes } from '../admin/admin-instances.routes.js';
import { adminTenantsRoutes } from '../admin/admin-tenants.routes.js';
import { adminUsersRoutes } from '../admin/admin-users.routes.js';
import { auditRoutes } from '../audit/audit.routes.js';
import { authRoutes } from '../auth/auth.routes.js';
import { impersonationRoutes } from '../auth/impersonation.routes.js';
import { registerImpersonationGuard } from '../auth/impersonation-guard.js';
import { meRoutes } from '../auth/me.routes.js';
import { adminBackupsRoutes } from '../backups/admin-backups.routes.js';
import { backupsRoutes } from '../backups/backups.routes.js';
import { adminBillingRoutes } from '../billing/admin-billing.routes.js';
import { billingRoutes } from '../billing/billing.routes.js';
import { plansRoutes } from '../billing/plans.routes.js';
import { certificatesRoutes } from '../certificates/certificates.routes.js';
import { domainsRoutes } from '../domains/domains.routes.js';
import { InstanceUpdateHub } from '../instances/instance-events.js';
import { instancesRoutes } from '../instances/instances.routes.js';
import { devMailboxRoutes } from '../mail/dev-mailbox.routes.js';
import { adminAlertsRoutes, registerAlertWebhook } from '../monitoring/alerts.routes.js';
import { metricsRoutes } from '../monitoring/metrics.routes.js';
import { registerPlatformMetrics } from '../monitoring/platform-metrics.js';
import type { Platform } from '../platform.js';
import { EdgeRoutesService } from '../system/edge-routes.service.js';
import { buildInternalApp, registerMetrics } from '../system/metrics.js';
import { NodesService } from '../system/nodes.service.js';
import { operationsRoutes } from '../system/operations.routes.js';
import { systemRoutes } from '../system/system.routes.js';
import { systemAdminRoutes } from '../system/system-admin.routes.js';
import { tenantsRoutes } from '../tenants/tenants.routes.js';
import { describeAccess, registerAccessControl } from './access.js';
import { registerAuditTrail } from './audit-hook.js';
import { registerInputGuard } from './input-guard.js';
import { loggerOptions, RequestLogController } from './logger.js';
import { frameworkErrorProblem, problemSchema, registerProblemHandlers } from './problem.js';

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

export async function buildApp(platform: Platform, options: { logger?: FastifyServerOptions['logger'] } = {}) {
  const { config, db } = platform;
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.logLevel),
    logController: new RequestLogController(),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    // nginx sends its $request_id so one id follows a request through both logs.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: frameworkErrorProblem,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });
  registerProblemHandlers(app);

  // Every API route answers errors as problem details; declared once here so each route's schema stays short.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') || !route.schema) return;
    route.schema.response = { ...(route.schema.response as object), '4XX': problemSchema, '5XX': problemSchema };
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Odoo SaaS Platform API',
        version: '1.0.0',
        description:
          'Accounts, tenants and Odoo instances. Errors are RFC 9457 problem details with a stable `code`. ' +
          'Each operation’s `x-access` says who may call it.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: (input) => {
      const result = jsonSchemaTransform(input);
      const rule = input.route.config?.access;
      return rule ? { ...result, schema: { ...result.schema, 'x-access': describeAccess(rule) } } : result;
    },
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAccessControl(app, {
    authenticate: (token, tenantId) => platform.auth.authenticate(token, tenantId),
    requireStaffTotp: config.staffTwoFactor,
  });
  // After the access check, which it relies on: refuses sensitive routes to support impersonation sessions.
  registerImpersonationGuard(app);
  registerInputGuard(app);
  registerAuditTrail(app, platform.audit);
  // Metrics are served by a second server (main-api.ts listens on METRICS_HOST:METRICS_PORT), never on this one.
  const registry = registerMetrics(app);
  registerPlatformMetrics(registry, platform);
  const internal = buildInternalApp(registry);
  // Alertmanager's webhook: internal listener only, bearer token besides (docs/monitoring.md).
  registerAlertWebhook(internal, platform.alerts, config.monitoring.webhookToken);
  app.addHook('onClose', async () => {
    await internal.close();
  });

  const subscriber = platform.redis.duplicate();
  subscriber.on('error', (err) => platform.dependencyError('redis subscriber', err));
  const hub = new InstanceUpdateHub(subscriber);
  app.addHook('onClose', async () => {
    subscriber.disconnect();
  });

  await app.register(
    async (api) => {
      await api.register(systemRoutes, {
        db,
        redis: platform.redis,
        queue: platform.queues.instances,
        runtime: platform.runtime,
        workers: platform.heartbeats,
      });
      await api.register(authRoutes, { auth: platform.auth, config });
      await api.register(meRoutes, {
        account: platform.account,
        auth: platform.auth,
        totp: platform.totp,
        impersonation: platform.impersonation,
      });
      await api.register(impersonationRoutes, { impersonation: platform.impersonation, config });
      await api.register(tenantsRoutes, { tenants: platform.tenants });
      await api.register(auditRoutes, { audit: platform.audit });
      await api.register(adminRoutes, { admin: platform.admin, audit: platform.audit });
      await api.register(adminUsersRoutes, { users: platform.adminUsers });
      await api.register(instancesRoutes, { config, instances: platform.instances, versions: platform.versions, hub });
      await api.register(adminTenantsRoutes, { tenants: platform.adminTenants });
      await api.register(adminInstancesRoutes, {
        admin: platform.admin,
        adminInstances: platform.adminInstances,
        versions: platform.versions,
      });
      await api.register(plansRoutes, { plans: platform.plans });
      await api.register(billingRoutes, { billing: platform.billing, events: platform.billingEvents });
      await api.register(adminBillingRoutes, { reports: platform.billingReports });
      await api.register(domainsRoutes, { domains: platform.domains, instances: platform.instances });
      await api.register(backupsRoutes, { backups: platform.backups, instances: platform.instances, hub });
      await api.register(adminBackupsRoutes, { backups: platform.backups });
      await api.register(certificatesRoutes, { admin: platform.admin });
      await api.register(operationsRoutes, { operations: platform.operations });
      await api.register(systemAdminRoutes, {
        config,
        edgeRoutes: new EdgeRoutesService(db, config),
        nodes: new NodesService(db, platform.runtime, config, platform.queues, platform.egressStates),
      });
      await api.register(adminAlertsRoutes, { alerts: platform.alerts });
      await api.register(metricsRoutes, { metrics: platform.metrics, instances: platform.instances });
      if (config.devMailbox) await api.register(devMailboxRoutes, { mail: platform.mail });
    },
    { prefix: '/api/v1' },
  );

  return Object.assign(app, { internal });
}

export type App = Awaited<ReturnType<typeof buildApp>>;
