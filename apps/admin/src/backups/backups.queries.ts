import { type ApiData, type ApiQuery, backupStatusValues, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type AdminBackup = ApiData<'get', '/admin/backups'>['items'][number];
export type BackupStatus = AdminBackup['status'];

/** Every status, as the API document lists them (the filter's options). */
export const BACKUP_STATUSES: readonly BackupStatus[] = backupStatusValues;

export function isBackupStatus(value: string | null): value is BackupStatus {
  return BACKUP_STATUSES.includes(value as BackupStatus);
}

const keys = { all: ['admin', 'backups'] as const };

/** Refreshes quickly while a listed backup is being made, so its progress moves. */
export function useAdminBackups(query: ApiQuery<'get', '/admin/backups'>) {
  const api = useApi();
  return useQuery({
    queryKey: [...keys.all, query],
    queryFn: () => unwrap(api.GET('/admin/backups', { params: { query } })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((b) => b.status === 'queued' || b.status === 'running') ? 3_000 : 15_000),
  });
}

/** A short-lived signed link; the browser then downloads the zip (an attachment, so the page stays). */
export function useAdminDownloadBackup() {
  const api = useApi();
  return useMutation({
    mutationFn: (backupId: string) => unwrap(api.POST('/admin/backups/{backupId}/download-link', { params: { path: { backupId } } })),
    onSuccess: (link) => window.location.assign(link.url),
  });
}

export function useAdminDeleteBackup() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (backupId: string) => unwrap(api.DELETE('/admin/backups/{backupId}', { params: { path: { backupId } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.all }),
  });
}
