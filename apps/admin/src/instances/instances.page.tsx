import { Anchor, Button, Group, Paper, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { formatCpu, formatDate, formatDateTime, formatMemory, PageTitle, QueryTable } from '@saas/ui';
import { PAGE_SIZE } from '../config';
import { FilteredEmptyState, rawStatusOptions, StatusFilter, useStatusParams } from '../shared/status-filter';
import { InstanceStatusBadge } from './instance-status-badge';
import { type AdminInstance, INSTANCE_STATUSES, isInstanceStatus, useAdminInstances, useTenantNames } from './instances.queries';

const statusOptions = rawStatusOptions(INSTANCE_STATUSES);

function Limits({ limits }: { limits: AdminInstance['limits'] }) {
  return (
    <Tooltip
      label={`${limits.pids} processes, ${limits.storageGb} GB storage (measured, not enforced)`}
      events={{ hover: true, focus: true, touch: false }}
    >
      <Text size="sm" style={{ whiteSpace: 'nowrap' }} tabIndex={0}>
        {formatMemory(limits.memoryMb)} · {formatCpu(limits.cpuMillis)} · {limits.workers} workers
      </Text>
    </Tooltip>
  );
}

// Filter and page live in the URL so the overview's counts can link to a filtered list.
export function InstancesPage() {
  const { offset, setOffset, status, setStatus } = useStatusParams(isInstanceStatus);
  const instances = useAdminInstances({ status, limit: PAGE_SIZE, offset });
  const tenantNames = useTenantNames();

  return (
    <>
      <PageTitle>Instances</PageTitle>
      <Paper withBorder p="md">
        <Group align="flex-end" justify="space-between" mb="md" wrap="wrap">
          <StatusFilter status={status} onChange={setStatus} allLabel="All (except deleted)" options={statusOptions} />
          <Group gap="xs" wrap="wrap">
            {instances.dataUpdatedAt > 0 && (
              <Text size="xs" c="dimmed" aria-live="off">
                Updated {formatDateTime(new Date(instances.dataUpdatedAt).toISOString())} · refreshes every 10 s
              </Text>
            )}
            <Button variant="default" size="xs" onClick={() => instances.refetch()} loading={instances.isFetching}>
              Refresh
            </Button>
          </Group>
        </Group>
        <QueryTable
          query={instances}
          keepDataOnError
          empty={
            <FilteredEmptyState
              title="No instances"
              description={status ? `No instance is ${status}.` : 'No tenant has created an Odoo instance yet.'}
              onShowAll={status && (() => setStatus(undefined))}
            />
          }
          label="Instances"
          minWidth={900}
          striped
          highlightOnHover
          columns={['Instance', 'Status', 'Tenant', 'Version', 'Limits', 'Created']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(i) => {
            const tenantName = tenantNames.data?.get(i.tenantId);
            return (
              <Table.Tr key={i.id}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {i.name}
                  </Text>
                  {i.status === 'deleted' ? (
                    <Text size="xs" c="dimmed" ff="monospace">
                      {i.slug}
                    </Text>
                  ) : (
                    <Anchor href={i.url} target="_blank" rel="noopener noreferrer" size="xs" ff="monospace">
                      {i.slug}
                      <VisuallyHidden> (opens in a new tab)</VisuallyHidden>
                    </Anchor>
                  )}
                </Table.Td>
                <Table.Td>
                  <InstanceStatusBadge instance={i} />
                  {(i.status === 'running' || i.status === 'stopped') && i.desiredState !== i.status && (
                    <Text size="xs" c="dimmed">
                      wants {i.desiredState}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{tenantName ?? '—'}</Text>
                  <Text size="xs" c="dimmed" ff="monospace" title={i.tenantId}>
                    {i.tenantId.slice(0, 8)}
                  </Text>
                </Table.Td>
                <Table.Td>{i.version}</Table.Td>
                <Table.Td>
                  <Limits limits={i.limits} />
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  <span title={formatDateTime(i.createdAt)}>{formatDate(i.createdAt)}</span>
                </Table.Td>
              </Table.Tr>
            );
          }}
        </QueryTable>
      </Paper>
    </>
  );
}
