import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../config/config.js';
import { access, requireAuth } from '../http/access.js';
import { page } from '../http/route-helpers.js';
import type { EdgeRoutesService } from './edge-routes.service.js';
import type { NodesService } from './nodes.service.js';
import { platformSettings } from './platform-settings.js';
import {
  drainNodeBody,
  drainResultSchema,
  edgeRouteSchema,
  edgeRoutesQuery,
  nodeParams,
  nodesSchema,
  platformSettingsSchema,
} from './system-admin.schemas.js';

/** The System and Nodes pages: the edge's routes, the effective configuration, the nodes and draining one. */
export const systemAdminRoutes: FastifyPluginAsyncZod<{ config: Config; edgeRoutes: EdgeRoutesService; nodes: NodesService }> = async (
  app,
  { config, edgeRoutes, nodes },
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

  app.get(
    '/admin/system/nodes',
    {
      schema: {
        tags: ['admin'],
        summary: 'The machines instances run on: capacity, what the plans of their instances take, and the instances',
        response: { 200: nodesSchema },
      },
      config: { access: staff },
    },
    async () => nodes.list(),
  );

  app.post(
    '/admin/system/nodes/:nodeId/drain',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Empty a node: it takes no new instances, and each of its instances is moved with its data to the node placement chooses (one queued move each; 409 single_engine or node_down)',
        params: nodeParams,
        body: drainNodeBody,
        response: { 202: drainResultSchema },
      },
      config: { access: access.platform('admin'), audit: { action: 'admin.node_drain', targetType: 'node' } },
    },
    async (request, reply) => {
      const result = await nodes.drain(request.params.nodeId, request.body.reason, requireAuth(request).userId);
      request.auditNote.details = {
        reason: request.body.reason,
        moves: result.moves.map((m) => ({ instanceId: m.instanceId, to: m.toNodeName })),
        leftovers: result.leftovers.map((l) => l.instanceId),
      };
      return reply.status(202).send(result);
    },
  );
};
