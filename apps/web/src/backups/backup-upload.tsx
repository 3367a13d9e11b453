import { Alert, Button, FileInput, Group, Stack, Text, Title } from '@mantine/core';
import { isApiProblem } from '@saas/api-client';
import { formatBytes, notifySuccess, problemMessage } from '@saas/ui';
import { useState } from 'react';
import { useUploadBackup } from './backups.queries';

/** Problem codes whose detail says what is wrong with the archive itself. */
const refusalTitle = (error: unknown) =>
  isApiProblem(error) && (error.code.startsWith('archive_') || error.code === 'upload_too_large' || error.status === 413)
    ? 'The archive was refused'
    : 'The upload failed';

/** The API's own reason; a bare 413 comes from a proxy in front of it, which says nothing useful. */
const refusalMessage = (error: unknown) =>
  isApiProblem(error) && error.code === 'http_413' ? 'The archive is larger than this server accepts for uploads.' : problemMessage(error);

/**
 * Upload a zip made by Odoo's database manager (any Odoo of the same version) or downloaded here. The
 * API checks it whole before keeping it as a backup of this instance, to restore or copy like any other.
 */
export function BackupUpload({
  instanceId,
  odooVersion,
  maxBytes,
  disabledReason,
}: {
  instanceId: string;
  odooVersion: string;
  /** The server's limit (BackupSchedule.uploadMaxBytes). */
  maxBytes: number;
  disabledReason: string | null;
}) {
  const upload = useUploadBackup(instanceId);
  const [file, setFile] = useState<File | null>(null);
  const notZip = file !== null && !/\.zip$/i.test(file.name);
  const tooBig = file !== null && file.size > maxBytes;

  return (
    <section aria-labelledby="backup-upload-title">
      <Title order={3} size="h5" id="backup-upload-title" mb={4}>
        Upload a backup
      </Title>
      <Text size="sm" mb="xs">
        A zip from Odoo’s database manager (<code>dump.sql</code>, <code>filestore/</code>, <code>manifest.json</code>) of Odoo{' '}
        {odooVersion}. It is checked, then listed here to restore or copy. It counts towards today’s manual backups.
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!file || notZip || tooBig) return;
          upload.mutate(file, {
            onSuccess: () => {
              setFile(null);
              notifySuccess('The archive was checked and added to the backups.');
            },
          });
        }}
      >
        <Stack gap="xs" maw={520}>
          <FileInput
            label="Backup archive (.zip)"
            placeholder="Choose a file"
            // Mantine's placeholder grey is below 4.5:1 on white; this one is a real label of the button.
            styles={{ placeholder: { color: 'var(--mantine-color-gray-7)' } }}
            accept=".zip,application/zip,application/x-zip-compressed"
            value={file}
            onChange={(f) => {
              setFile(f);
              upload.reset();
            }}
            clearable
            disabled={disabledReason !== null || upload.isPending}
            description={
              file
                ? `${file.name}: ${formatBytes(file.size)}${file.size > 100 * 2 ** 20 ? ' — a large file takes a while to upload and check.' : '.'}`
                : (disabledReason ?? `Up to ${formatBytes(maxBytes)}. The file is sent as it is, then checked on the server.`)
            }
            error={notZip ? 'Choose a .zip file.' : tooBig ? `This file is larger than the ${formatBytes(maxBytes)} allowed.` : undefined}
          />
          {upload.isError && (
            <Alert color="red" role="alert" title={refusalTitle(upload.error)}>
              {refusalMessage(upload.error)}
            </Alert>
          )}
          <Group>
            <Button
              type="submit"
              variant="default"
              disabled={!file || notZip || tooBig || disabledReason !== null}
              loading={upload.isPending}
            >
              {upload.isPending ? 'Uploading and checking…' : 'Upload'}
            </Button>
          </Group>
        </Stack>
      </form>
    </section>
  );
}
