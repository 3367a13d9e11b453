import { Badge, Button, Paper, Select, SimpleGrid, Table, Text, TextInput } from '@mantine/core';
import { EmptyState, formatDateTime, PageTitle, QueryTable, SearchField, useSearchTerm } from '@saas/ui';
import { PAGE_SIZE } from '../config';
import { useUrlParams } from '../shared/url-params';
import { type AuditEntry, useAdminAuditLog } from './audit.queries';

const COLUMNS = ['When', 'Actor', 'Action', 'Target', 'Tenant', 'Result', 'IP / request'];

function AuditRow({ entry: e, onTenant }: { entry: AuditEntry; onTenant: (tenantId: string) => void }) {
  return (
    <Table.Tr>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
      <Table.Td>
        {e.actor?.email ?? (
          <Text span size="sm" c="dimmed">
            system
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm" ff="monospace">
          {e.action}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="xs" ff="monospace">
          {e.targetType ? `${e.targetType}:${e.targetId ?? ''}` : '—'}
        </Text>
      </Table.Td>
      <Table.Td>
        {e.tenantId ? (
          <Button
            variant="subtle"
            size="compact-xs"
            ff="monospace"
            onClick={() => onTenant(e.tenantId ?? '')}
            aria-label={`Filter by tenant ${e.tenantId}`}
          >
            {e.tenantId.slice(0, 8)}
          </Button>
        ) : (
          '—'
        )}
      </Table.Td>
      <Table.Td>
        <Badge color={e.result === 'success' ? 'teal' : 'red'} variant="light">
          {e.result}
        </Badge>
      </Table.Td>
      <Table.Td>
        <Text size="xs">{e.ip ?? '—'}</Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {e.requestId ?? ''}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}

const RESULTS = [
  { value: 'all', label: 'All results' },
  { value: 'success', label: 'Success' },
  { value: 'failure', label: 'Failure' },
];
const SORTS = [
  { value: 'newest', label: 'Newest first' },
  { value: 'oldest', label: 'Oldest first' },
];
const FILTERS = ['actorEmail', 'action', 'tenantId', 'result', 'from', 'to'] as const;
const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Filters, sort and page live in the URL so a filtered view can be linked (e.g. from a tenant's page).
export function AuditLogPage() {
  const { params, offset, update, setOffset } = useUrlParams();
  const value = (name: string) => params.get(name) ?? '';
  const actorTerm = useSearchTerm(value('actorEmail'));
  const actionTerm = useSearchTerm(value('action'));
  const tenantTerm = useSearchTerm(value('tenantId'));
  const result = value('result');
  const sort = value('sort') === 'oldest' ? 'oldest' : 'newest';
  const from = isDay(value('from')) ? value('from') : undefined;
  const to = isDay(value('to')) ? value('to') : undefined;
  const log = useAdminAuditLog({
    actorEmail: actorTerm,
    action: actionTerm,
    // Half a tenant id is not one: the API would refuse it, so wait until it is whole.
    tenantId: tenantTerm && UUID.test(tenantTerm) ? tenantTerm : undefined,
    result: result === 'success' || result === 'failure' ? result : undefined,
    from,
    to,
    sort,
    limit: PAGE_SIZE,
    offset,
  });
  const filtered = FILTERS.some((name) => value(name));
  const set = (name: string) => (v: string) => update({ [name]: v, offset: '' });

  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <Paper withBorder p="md">
        {/* Two filters a row on a phone, four on a wide screen. */}
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="sm" verticalSpacing="xs" mb="md">
          <SearchField label="Actor email" placeholder="e.g. ada@" value={value('actorEmail')} onChange={set('actorEmail')} maw="none" />
          <SearchField label="Action" placeholder="e.g. auth.login" value={value('action')} onChange={set('action')} maw="none" />
          <SearchField label="Tenant ID" value={value('tenantId')} onChange={set('tenantId')} maw="none" />
          <Select
            label="Result"
            data={RESULTS}
            value={result || 'all'}
            allowDeselect={false}
            onChange={(v) => set('result')(v && v !== 'all' ? v : '')}
          />
          <TextInput type="date" label="From" value={value('from')} onChange={(e) => set('from')(e.currentTarget.value)} />
          <TextInput type="date" label="To (inclusive)" value={value('to')} min={from} onChange={(e) => set('to')(e.currentTarget.value)} />
          <Select
            label="Sort"
            data={SORTS}
            value={sort}
            allowDeselect={false}
            onChange={(v) => update({ sort: v === 'oldest' ? 'oldest' : '', offset: '' })}
          />
          {filtered && (
            <Button
              variant="default"
              style={{ alignSelf: 'end' }}
              onClick={() => update({ ...Object.fromEntries(FILTERS.map((f) => [f, ''])), offset: '' })}
            >
              Clear filters
            </Button>
          )}
        </SimpleGrid>
        <QueryTable
          query={log}
          keepDataOnError
          empty={<EmptyState title="No entries" description={filtered ? 'No entries match these filters.' : undefined} />}
          label="Audit log"
          minWidth={960}
          verticalSpacing="xs"
          striped
          columns={COLUMNS}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(e) => <AuditRow key={e.id} entry={e} onTenant={(id) => update({ tenantId: id, offset: '' })} />}
        </QueryTable>
      </Paper>
    </>
  );
}
