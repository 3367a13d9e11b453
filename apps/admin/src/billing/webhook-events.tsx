import { Button, Group, Table, Text } from '@mantine/core';
import { ConfirmButton, EmptyState, formatDateTime, formatRelative, notifySuccess, QueryTable } from '@saas/ui';
import { useIsPlatformAdmin } from '../app-layout';
import { PAGE_SIZE } from '../config';
import { StatusFilter, useStatusParams } from '../shared/status-filter';
import { type BillingEvent, useBillingEvents, useRetryEvent } from './billing.queries';
import { type EventStatus, EventStatusBadge, eventStatusLabels } from './billing-badges';

const statusOptions = Object.entries(eventStatusLabels).map(([value, label]) => ({ value: value as EventStatus, label }));
const isStatus = (v: string | null): v is EventStatus => v !== null && v in eventStatusLabels;

function RetryButton({ event }: { event: BillingEvent }) {
  const retry = useRetryEvent();
  return (
    <ConfirmButton
      color="indigo.9"
      aria-label={`Retry event ${event.type} ${event.id}`}
      title={`Retry event ${event.type}?`}
      message="The event is queued again and the worker applies it to the tenant's subscription. Events are applied once: a retry cannot apply it twice."
      confirmLabel="Retry"
      onConfirm={async () => {
        await retry.mutateAsync(event.id);
        notifySuccess('The event is queued again; the list refreshes when the worker has processed it.', event.type);
      }}
    >
      Retry
    </ConfirmButton>
  );
}

/** Every provider event received, with what became of it; failed ones can be retried. */
export function WebhookEventsTab() {
  const { offset, setOffset, status, setStatus } = useStatusParams(isStatus);
  const events = useBillingEvents({ status, limit: PAGE_SIZE, offset });
  const canEdit = useIsPlatformAdmin();

  return (
    <>
      <Group align="flex-end" justify="space-between" mb="md" wrap="wrap">
        <StatusFilter status={status} onChange={setStatus} allLabel="All statuses" options={statusOptions} />
        <Button variant="default" size="xs" onClick={() => events.refetch()} loading={events.isFetching}>
          Refresh
        </Button>
      </Group>
      <QueryTable
        query={events}
        keepDataOnError
        empty={
          <EmptyState
            title="No webhook events"
            description={status ? `No event is ${eventStatusLabels[status].toLowerCase()}.` : 'The payment provider has sent no event yet.'}
          />
        }
        label="Webhook events"
        minWidth={canEdit ? 1040 : 940}
        striped
        columns={['Event', 'Status', 'Attempts', 'Error', 'Received', 'Processed', canEdit && 'Actions']}
        paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
      >
        {(e) => (
          <Table.Tr key={e.id}>
            <Table.Td>
              <Text size="sm" fw={500}>
                {e.type}
              </Text>
              <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {e.id}
              </Text>
            </Table.Td>
            <Table.Td>
              <EventStatusBadge status={e.status} />
            </Table.Td>
            <Table.Td>{e.attempts}</Table.Td>
            <Table.Td maw={360}>
              {e.error ? (
                <Text size="sm" c="red.9" style={{ wordBreak: 'break-word' }}>
                  {e.error}
                </Text>
              ) : (
                '—'
              )}
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>
              <Text size="sm">{formatDateTime(e.receivedAt)}</Text>
              <Text size="xs" c="dimmed">
                {formatRelative(e.receivedAt)}
              </Text>
            </Table.Td>
            <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.processedAt)}</Table.Td>
            {canEdit && <Table.Td>{e.status === 'failed' && <RetryButton event={e} />}</Table.Td>}
          </Table.Tr>
        )}
      </QueryTable>
    </>
  );
}
