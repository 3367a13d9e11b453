import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../http/access.js';
import { noContent, page, pageQuery, sendNoContent } from '../http/route-helpers.js';
import { backupParams, backupSchema, downloadLinkSchema } from './backups.schemas.js';
import type { BackupsService } from './backups.service.js';
import { BACKUP_STATUSES } from './backups.tables.js';

/** Operators' view of backups across every tenant (admin dashboard). */
export const adminBackupsRoutes: FastifyPluginAsyncZod<{ backups: BackupsService }> = async (app, { backups }) => {
  const staff = access.platform('admin', 'support');
  const admins = access.platform('admin');

  app.get(
    '/admin/backups',
    {
      schema: {
        tags: ['admin'],
        summary: 'Backups of every tenant, newest first',
        querystring: pageQuery.extend({ tenantId: z.uuid().optional(), status: z.enum(BACKUP_STATUSES).optional() }),
        response: { 200: page(backupSchema) },
      },
      config: { access: staff },
    },
    async (request) => backups.listAll(request.query),
  );

  app.post(
    '/admin/backups/:backupId/download-link',
    {
      schema: {
        tags: ['admin'],
        summary: 'A short-lived signed link to a backup',
        params: backupParams,
        response: { 200: downloadLinkSchema },
      },
      config: { access: admins, audit: { action: 'admin.backup_download_link', targetType: 'backup' } },
    },
    async (request) => {
      request.auditNote.targetId = request.params.backupId;
      return backups.downloadLink(request.params.backupId);
    },
  );

  app.delete(
    '/admin/backups/:backupId',
    {
      schema: { tags: ['admin'], summary: 'Delete a backup', params: backupParams, response: { 204: noContent } },
      config: { access: admins, audit: { action: 'admin.backup_delete', targetType: 'backup' } },
    },
    async (request, reply) => {
      const removed = await backups.remove(request.params.backupId);
      request.auditNote.targetId = removed.id;
      request.auditNote.details = { tenantId: removed.tenantId, instanceId: removed.instanceId, kind: removed.kind };
      return sendNoContent(reply);
    },
  );
};
