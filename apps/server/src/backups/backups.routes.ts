import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError, invalid } from '../errors/domain-error.js';
import { access, isUuid, requireAuth } from '../http/access.js';
import { serveLiveStream } from '../http/live-stream.js';
import { noContent, sendNoContent } from '../http/route-helpers.js';
import { instanceAccess } from '../instances/instance-access.js';
import type { InstanceUpdateHub } from '../instances/instance-events.js';
import { instanceParams } from '../instances/instances.schemas.js';
import type { InstancesService } from '../instances/instances.service.js';
import { tenantParams } from '../tenants/tenants.schemas.js';
import {
  backupParams,
  backupScheduleSchema,
  backupSchema,
  backupsStateSchema,
  backupsUpdateSchema,
  downloadLinkSchema,
  downloadQuery,
  type InstanceBackupsDto,
  restoreBody,
  restoreSchema,
  scheduleBody,
} from './backups.schemas.js';
import { type BackupsService, toRestoreDto } from './backups.service.js';

/** Content types an uploaded archive may come with (browsers send application/zip or application/x-zip-compressed). */
const ZIP_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'];

/** Nothing more will change without a new request: no backup or restore is queued or running. */
const settled = (state: InstanceBackupsDto) =>
  !state.backups.some((b) => b.status === 'queued' || b.status === 'running') &&
  !state.restores.some((r) => r.status === 'queued' || r.status === 'running');

export const backupsRoutes: FastifyPluginAsyncZod<{
  backups: BackupsService;
  instances: InstancesService;
  hub: InstanceUpdateHub;
}> = async (app, { backups, instances, hub }) => {
  const ofInstance = instanceAccess(instances);
  const anyMember = ofInstance('owner', 'admin', 'member');
  const managers = ofInstance('owner', 'admin');
  const ofBackup = (...roles: ('owner' | 'admin' | 'member')[]) =>
    access.tenantOf(
      async (request) => {
        const id = (request.params as { backupId?: unknown }).backupId;
        return isUuid(id) ? backups.tenantOf(id) : null;
      },
      ...roles,
    );

  app.get(
    '/instances/:instanceId/backups',
    {
      schema: {
        tags: ['backups'],
        summary: 'The instance’s backups (size, status, progress), its recent restores and its backup schedule',
        params: instanceParams,
        response: { 200: backupsStateSchema },
      },
      config: { access: anyMember },
    },
    async (request) => backups.state(request.params.instanceId),
  );

  app.post(
    '/instances/:instanceId/backups',
    {
      schema: {
        tags: ['backups'],
        summary: 'Back the instance up now; the backup runs in the background (follow /instances/{id}/backups/events)',
        description: 'Limited per instance and UTC day by the plan (`429 backup_limit_reached`); scheduled backups do not count.',
        params: instanceParams,
        response: { 202: backupSchema },
      },
      config: { access: managers, audit: { action: 'backup.create', targetType: 'backup' } },
    },
    async (request, reply) => {
      const backup = await backups.request(request.params.instanceId, requireAuth(request));
      request.auditNote.targetId = backup.id;
      request.auditNote.details = { instanceId: backup.instanceId };
      return reply.status(202).send(await backups.dto(backup));
    },
  );

  app.get(
    '/instances/:instanceId/backups/events',
    {
      schema: {
        tags: ['backups'],
        summary: 'Live backups and restores as Server-Sent Events (event: backups, data: InstanceBackups as JSON)',
        description:
          'Sends the state at once, then after every change; each event’s data is what `GET /instances/{instanceId}/backups` returns. ' +
          'Ends when no backup or restore is queued or running, or after 15 minutes.',
        params: instanceParams,
        response: {
          200: {
            description: 'A `text/event-stream`; each event is described by BackupsUpdate.',
            content: { 'text/event-stream': { schema: backupsUpdateSchema } },
          },
        },
      },
      config: { access: anyMember },
    },
    async (request, reply) => {
      const id = request.params.instanceId;
      await backups.state(id);
      await serveLiveStream<InstanceBackupsDto>(request, reply, {
        hub,
        instanceId: id,
        event: 'backups',
        read: () => backups.state(id).catch(() => null),
        settled,
      });
    },
  );

  app.put(
    '/instances/:instanceId/backup-schedule',
    {
      schema: {
        tags: ['backups'],
        summary: 'Choose the hour (UTC) of the daily backup, or null to let the platform spread it over the night',
        params: instanceParams,
        body: scheduleBody,
        response: { 200: backupScheduleSchema },
      },
      config: { access: managers, audit: { action: 'backup.schedule', targetType: 'instance' } },
    },
    async (request) => {
      request.auditNote.targetId = request.params.instanceId;
      request.auditNote.details = { hour: request.body.hour };
      return backups.setSchedule(request.params.instanceId, request.body.hour);
    },
  );

  app.post(
    '/instances/:instanceId/restore',
    {
      schema: {
        tags: ['backups'],
        summary: 'Restore a backup into this instance: a safety backup first, then the instance is stopped, replaced and started',
        description: 'To restore into a new instance instead (a duplicate or staging copy), create one with `fromBackupId`.',
        params: instanceParams,
        body: restoreBody,
        response: { 202: restoreSchema },
      },
      config: { access: managers, audit: { action: 'backup.restore', targetType: 'instance' } },
    },
    async (request, reply) => {
      const restore = await backups.restore(request.params.instanceId, request.body.backupId, requireAuth(request));
      request.auditNote.targetId = request.params.instanceId;
      request.auditNote.details = { backupId: restore.backupId, restoreId: restore.id };
      return reply.status(202).send(toRestoreDto(restore));
    },
  );

  app.get(
    '/tenants/:tenantId/backups',
    {
      schema: {
        tags: ['backups'],
        summary: 'Every backup of the organization, final backups of deleted instances included',
        params: tenantParams,
        response: { 200: z.array(backupSchema) },
      },
      config: { access: access.tenant('owner', 'admin', 'member') },
    },
    async (request) => backups.listForTenant(request.params.tenantId),
  );

  app.post(
    '/backups/:backupId/download-link',
    {
      schema: {
        tags: ['backups'],
        summary: 'A short-lived signed link to download the backup (Odoo’s own zip format: dump.sql, filestore/, manifest.json)',
        params: backupParams,
        response: { 200: downloadLinkSchema },
      },
      config: { access: ofBackup('owner', 'admin'), audit: { action: 'backup.download_link', targetType: 'backup' } },
    },
    async (request) => {
      request.auditNote.targetId = request.params.backupId;
      return backups.downloadLink(request.params.backupId);
    },
  );

  app.delete(
    '/backups/:backupId',
    {
      schema: {
        tags: ['backups'],
        summary: 'Delete a backup (organization owners only)',
        params: backupParams,
        response: { 204: noContent },
      },
      config: { access: ofBackup('owner'), audit: { action: 'backup.delete', targetType: 'backup' } },
    },
    async (request, reply) => {
      const removed = await backups.remove(request.params.backupId);
      request.auditNote.targetId = removed.id;
      request.auditNote.details = { instanceId: removed.instanceId, kind: removed.kind };
      return sendNoContent(reply);
    },
  );

  app.get(
    '/backup-downloads/:backupId',
    {
      schema: {
        tags: ['backups'],
        summary: 'Download through a signed link (from POST /backups/{backupId}/download-link); the link is the credential',
        params: backupParams,
        querystring: downloadQuery,
        produces: ['application/zip'],
      },
      config: { access: access.public(), audit: false },
    },
    async (request, reply) => {
      const { stream, filename, size } = await backups.download(request.params.backupId, request.query.expires, request.query.signature);
      reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store');
      if (size !== null) reply.header('content-length', String(size));
      return reply.send(stream);
    },
  );

  // The upload's body is the zip itself, streamed to disk under the size limit (never parsed or held in memory):
  // an encapsulated scope, so every other route still parses JSON.
  await app.register(async (scope) => {
    const raw = scope.withTypeProvider<ZodTypeProvider>();
    raw.removeAllContentTypeParsers();
    // Any type reaches the handler (as a stream, unread): access is checked before the type, as on every route.
    raw.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    raw.post(
      '/instances/:instanceId/backups/upload',
      {
        schema: {
          tags: ['backups'],
          summary:
            'Upload a backup zip made by any Odoo’s database manager (or downloaded here); it is checked, then kept as a backup to restore',
          description:
            'The body is the zip (`Content-Type: application/zip`). Refused with problem details when it is too large (413 upload_too_large), ' +
            'unsafe or malformed (400 archive_*), or of another Odoo version (400 archive_version_incompatible); nothing is kept then.',
          params: instanceParams,
          response: { 201: backupSchema },
        },
        config: { access: managers, audit: { action: 'backup.upload', targetType: 'backup' } },
      },
      async (request, reply) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if (!ZIP_TYPES.includes(type)) {
          throw new DomainError(
            'unsupported_media_type',
            'unsupported_media_type',
            `Send the zip itself as the body, with Content-Type ${ZIP_TYPES[0]}.`,
          );
        }
        const body = request.body as Readable | undefined;
        if (!body || typeof (body as Readable).pipe !== 'function') throw invalid('archive_missing', 'Send the zip as the request body.');
        const backup = await backups.upload(request.params.instanceId, requireAuth(request), body);
        request.auditNote.targetId = backup.id;
        request.auditNote.details = { instanceId: backup.instanceId, sizeBytes: backup.sizeBytes };
        return reply.status(201).send(await backups.dto(backup));
      },
    );
  });
};
