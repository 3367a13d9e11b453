import { type ApiData, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type Instance, instanceKeys } from '../instances/instances.queries';

export type InstanceBackups = ApiData<'get', '/instances/{instanceId}/backups'>;
export type Backup = InstanceBackups['backups'][number];
export type Restore = InstanceBackups['restores'][number];
export type BackupSchedule = InstanceBackups['schedule'];
export type BackupKind = Backup['kind'];
export type BackupStatus = Backup['status'];

export const backupKeys = {
  instance: (instanceId: string) => ['instances', instanceId, 'backups'] as const,
  tenant: (tenantId: string) => ['tenants', tenantId, 'backups'] as const,
};

/** Something the worker will move on by itself (and the live stream follows). */
export const isBackupActive = (b: Pick<Backup, 'status'>) => b.status === 'queued' || b.status === 'running';
export const isRestoreActive = (r: Pick<Restore, 'status'>) => r.status === 'queued' || r.status === 'running';
export const hasActiveWork = (state: InstanceBackups | undefined) =>
  Boolean(state && (state.backups.some(isBackupActive) || state.restores.some(isRestoreActive)));

export function useInstanceBackups(instanceId: string) {
  const api = useApi();
  return useQuery({
    queryKey: backupKeys.instance(instanceId),
    queryFn: () => unwrap(api.GET('/instances/{instanceId}/backups', { params: { path: { instanceId } } })),
  });
}

/** Every backup of the organization, final backups of deleted instances included. */
export function useTenantBackups(tenantId: string | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: backupKeys.tenant(tenantId ?? ''),
    queryFn: () => unwrap(api.GET('/tenants/{tenantId}/backups', { params: { path: { tenantId: tenantId ?? '' } } })),
    enabled: Boolean(tenantId),
    refetchInterval: (query) => (query.state.data?.some(isBackupActive) ? 3_000 : 30_000),
  });
}

/** Puts a backup the API just answered with into the instance's list (the live stream then follows it). */
function addBackup(state: InstanceBackups | undefined, backup: Backup): InstanceBackups | undefined {
  if (!state) return state;
  const rest = state.backups.filter((b) => b.id !== backup.id);
  return { ...state, backups: [backup, ...rest] };
}

export function useBackUpNow(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/instances/{instanceId}/backups', { params: { path: { instanceId } } })),
    onSuccess: (backup) => qc.setQueryData<InstanceBackups>(backupKeys.instance(instanceId), (old) => addBackup(old, backup)),
    onSettled: () => qc.invalidateQueries({ queryKey: backupKeys.instance(instanceId), exact: true }),
  });
}

export function useSetBackupHour(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (hour: number | null) =>
      unwrap(api.PUT('/instances/{instanceId}/backup-schedule', { params: { path: { instanceId } }, body: { hour } })),
    onSuccess: (schedule) => {
      qc.setQueryData<InstanceBackups>(backupKeys.instance(instanceId), (old) => (old ? { ...old, schedule } : old));
      qc.setQueryData<Instance>(instanceKeys.one(instanceId), (old) => (old ? { ...old, backupHour: schedule.hour } : old));
    },
  });
}

/**
 * Sends the zip itself as the body (Content-Type application/zip), as the API expects; the browser
 * streams the File from disk. The generated client knows no body for this route, hence the serializer.
 */
export function useUploadBackup(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (file: File) =>
      unwrap(
        api.POST('/instances/{instanceId}/backups/upload', {
          params: { path: { instanceId } },
          ...({ body: file, bodySerializer: (body: File) => body } as object),
          headers: { 'Content-Type': 'application/zip' },
        }),
      ),
    onSuccess: (backup) => qc.setQueryData<InstanceBackups>(backupKeys.instance(instanceId), (old) => addBackup(old, backup)),
    onSettled: () => qc.invalidateQueries({ queryKey: backupKeys.instance(instanceId), exact: true }),
  });
}

export function useRestoreBackup(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (backupId: string) =>
      unwrap(api.POST('/instances/{instanceId}/restore', { params: { path: { instanceId } }, body: { backupId } })),
    onSuccess: (restore) =>
      qc.setQueryData<InstanceBackups>(backupKeys.instance(instanceId), (old) =>
        old ? { ...old, restores: [restore, ...old.restores.filter((r) => r.id !== restore.id)] } : old,
      ),
    onSettled: () => {
      qc.invalidateQueries({ queryKey: backupKeys.instance(instanceId), exact: true });
      qc.invalidateQueries({ queryKey: instanceKeys.one(instanceId), exact: true });
    },
  });
}

/** Asks for a short-lived signed link and sends the browser there (the answer is an attachment, so the page stays). */
export function useDownloadBackup() {
  const api = useApi();
  return useMutation({
    mutationFn: (backupId: string) => unwrap(api.POST('/backups/{backupId}/download-link', { params: { path: { backupId } } })),
    onSuccess: (link) => {
      window.location.assign(link.url);
    },
  });
}

export function useDeleteBackup(backup: Pick<Backup, 'id' | 'instanceId' | 'tenantId'>) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/backups/{backupId}', { params: { path: { backupId: backup.id } } })),
    onSuccess: () =>
      qc.setQueryData<InstanceBackups>(backupKeys.instance(backup.instanceId), (old) =>
        old ? { ...old, backups: old.backups.filter((b) => b.id !== backup.id) } : old,
      ),
    onSettled: () => {
      qc.invalidateQueries({ queryKey: backupKeys.instance(backup.instanceId), exact: true });
      qc.invalidateQueries({ queryKey: backupKeys.tenant(backup.tenantId), exact: true });
    },
  });
}
