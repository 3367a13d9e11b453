import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../config/config.js';
import { access } from '../http/access.js';
import { page } from '../http/route-helpers.js';
import type { EdgeRoutesService } from './edge-routes.service.js';
import { platformSettings } from './platform-settings.js';
import { edgeRouteSchema, edgeRoutesQuery, platformSettingsSchema } from './system-admin.schemas.js';

/** The System page's read-only views: the edge's routes and the effective configuration. */
export const systemAdminRoutes: FastifyPluginAsyncZod<{ config: Config; edgeRoutes: EdgeRoutesService }> = async (
  app,
  { config, edgeRoutes },
) => {
  const staff = access.platform('admin', 'support');

  app.get(
    '/admin/system/edge-routes',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every host the edge routes (instance subdomains and active custom domains), by host name',
        querystring: edgeRoutesQuery,
        response: { 200: page(edgeRouteSchema) },
      },
      config: { access: staff },
    },
    async (request) => edgeRoutes.list(request.query),
  );

  // Computed once: the configuration does not change while the process runs.
  const settings = platformSettings(config);
  app.get(
    '/admin/system/settings',
    {
      schema: {
        tags: ['admin'],
        summary: 'The effective platform configuration, without any secret',
        response: { 200: platformSettingsSchema },
      },
      config: { access: staff },
    },
    async () => settings,
  );
};
