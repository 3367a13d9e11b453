import { Anchor, Button, Group, Paper, Select, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { formatCpu, formatDate, formatDateTime, formatMemory, PageTitle, QueryTable, SearchField, useSearchTerm } from '@saas/ui';
import { Link } from 'react-router';
import { PAGE_SIZE } from '../config';
import { FilteredEmptyState, rawStatusOptions, StatusFilter, useStatusParams } from '../shared/status-filter';
import { useOdooVersions } from '../versions/odoo-versions.queries';
import { InstanceStatusBadge } from './instance-status-badge';
import { type AdminInstance, type AdminInstancesQuery, INSTANCE_STATUSES, isInstanceStatus, useAdminInstances } from './instances.queries';

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

type Sort = NonNullable<AdminInstancesQuery['sort']>;
type Order = NonNullable<AdminInstancesQuery['order']>;
const sortOptions: { value: string; label: string; sort: Sort; order: Order }[] = [
  { value: 'created-desc', label: 'Newest first', sort: 'created', order: 'desc' },
  { value: 'created-asc', label: 'Oldest first', sort: 'created', order: 'asc' },
  { value: 'slug-asc', label: 'Subdomain A–Z', sort: 'slug', order: 'asc' },
  { value: 'status-asc', label: 'Status', sort: 'status', order: 'asc' },
  { value: 'tenant-asc', label: 'Tenant A–Z', sort: 'tenant', order: 'asc' },
  { value: 'version-desc', label: 'Version, newest first', sort: 'version', order: 'desc' },
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Filters, sort and page live in the URL so the overview's counts and a tenant's page can link to a filtered list.
export function InstancesPage() {
  const { params, update, offset, setOffset, status, setStatus } = useStatusParams(isInstanceStatus);
  const text = params.get('q') ?? '';
  const q = useSearchTerm(text);
  const tenantId = UUID.test(params.get('tenantId') ?? '') ? (params.get('tenantId') ?? undefined) : undefined;
  const version = params.get('version') || undefined;
  const sort = sortOptions.find((o) => o.value === params.get('sort')) ?? sortOptions[0];
  const instances = useAdminInstances({ status, q, tenantId, version, sort: sort?.sort, order: sort?.order, limit: PAGE_SIZE, offset });
  const versions = useOdooVersions();
  const versionOptions = [
    { value: 'all', label: 'Any version' },
    ...(versions.data ?? []).map((v) => ({ value: v.version, label: v.version })),
  ];

  return (
    <>
      <PageTitle>Instances</PageTitle>
      <Paper withBorder p="md">
        <Group align="flex-end" justify="space-between" mb="md" wrap="wrap">
          <Group align="flex-end" wrap="wrap">
            <SearchField
              label="Search instances"
              placeholder="Subdomain"
              value={text}
              onChange={(v) => update({ q: v, offset: '' })}
              w={220}
            />
            <StatusFilter status={status} onChange={setStatus} allLabel="All (except deleted)" options={statusOptions} />
            <Select
              label="Version"
              data={versionOptions}
              value={version ?? 'all'}
              allowDeselect={false}
              onChange={(v) => update({ version: v && v !== 'all' ? v : '', offset: '' })}
              w={140}
            />
            <Select
              label="Sort"
              data={sortOptions}
              value={sort?.value ?? 'created-desc'}
              allowDeselect={false}
              onChange={(v) => update({ sort: v ?? '', offset: '' })}
              w={200}
            />
            {tenantId && (
              <Button variant="default" onClick={() => update({ tenantId: '', offset: '' })}>
                All tenants
              </Button>
            )}
          </Group>
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
            return (
              <Table.Tr key={i.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/instances/${i.id}`} size="sm" fw={500}>
                    {i.name}
                  </Anchor>
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
                  <Anchor component={Link} to={`/tenants/${i.tenantId}`} size="sm">
                    {i.tenantName}
                  </Anchor>
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
