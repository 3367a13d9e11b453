import { Anchor, Code, Group, Stack, Table, Text } from '@mantine/core';
import { DataTable, formatBytes, formatDate, formatDateTime } from '@saas/ui';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { contentsLine, JobProgress, JobStatusBadge, kindLabel } from './backup-status';
import { type Backup, isBackupActive } from './backups.queries';

export interface BackupsTableProps {
  backups: Backup[];
  /** Names the table's scrolling region. */
  label: string;
  /** The organization-wide list names each backup's instance. */
  showInstance?: boolean;
  /** The buttons of one row; omitted: no actions column (members). */
  actions?: (backup: Backup) => ReactNode;
}

/** The label that tells one backup from another in buttons' accessible names ("Download the backup of 2 Dec 2026, 01:10"). */
export const backupName = (b: Backup) => `the backup of ${formatDateTime(b.createdAt)}`;

function StatusCell({ backup }: { backup: Backup }) {
  return (
    <Stack gap={6} align="flex-start">
      <JobStatusBadge status={backup.status} />
      {isBackupActive(backup) && <JobProgress progress={backup.progress} label={`Progress of ${backupName(backup)}`} />}
      {backup.status === 'failed' && (
        <Code block fz="xs" p="xs" c="red.9" bg="white" maw={420} style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          {backup.error ?? 'The platform did not record a cause.'}
        </Code>
      )}
      {backup.status === 'completed' && (
        <Text size="xs" c="dimmed">
          {contentsLine(backup)}
        </Text>
      )}
    </Stack>
  );
}

/** Backups, newest first: what they are, when, how big, and their state with live progress or the real error. */
export function BackupsTable({ backups, label, showInstance = false, actions }: BackupsTableProps) {
  return (
    <DataTable
      label={label}
      minWidth={showInstance ? 980 : 860}
      striped
      columns={[showInstance && 'Instance', 'Backup', 'Size', 'Status', actions !== undefined && { label: 'Actions', hidden: true }]}
    >
      {backups.map((b) => (
        <Table.Tr key={b.id}>
          {showInstance && (
            <Table.Td>
              {b.instanceDeleted ? (
                <>
                  <Text size="sm" fw={500}>
                    {b.instanceName}
                  </Text>
                  <Text size="xs" c="dimmed">
                    Deleted instance
                  </Text>
                </>
              ) : (
                <Anchor component={Link} to={`/instances/${b.instanceId}?tab=backups`} size="sm" fw={500}>
                  {b.instanceName}
                </Anchor>
              )}
            </Table.Td>
          )}
          <Table.Td>
            <Text size="sm" fw={500} style={{ whiteSpace: 'nowrap' }}>
              {formatDateTime(b.createdAt)}
            </Text>
            <Text size="xs" c="dimmed">
              {kindLabel(b.kind)} · Odoo {b.odooVersion}
            </Text>
            {b.keepUntil && b.status === 'completed' && (
              <Text size="xs" c="dimmed">
                Kept until {formatDate(b.keepUntil)}
              </Text>
            )}
          </Table.Td>
          <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatBytes(b.sizeBytes)}</Table.Td>
          <Table.Td>
            <StatusCell backup={b} />
          </Table.Td>
          {actions && (
            <Table.Td>
              <Group gap="xs" wrap="wrap" justify="flex-end">
                {actions(b)}
              </Group>
            </Table.Td>
          )}
        </Table.Tr>
      ))}
    </DataTable>
  );
}
