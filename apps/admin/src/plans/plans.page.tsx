import { Button, Paper, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { EmptyState, formatCpu, formatMemory, NameCell, PageTitle, QueryTable } from '@saas/ui';
import { useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { PlanForm } from './plan-form';
import { type Plan, usePlans } from './plans.queries';

export function PlansPage() {
  const plans = usePlans();
  const canEdit = useIsPlatformAdmin();
  const [editing, setEditing] = useState<Plan | null>(null);
  const [formOpened, form] = useDisclosure(false);

  function openForm(plan: Plan | null) {
    setEditing(plan);
    form.open();
  }

  return (
    <>
      <PageTitle actions={canEdit && <Button onClick={() => openForm(null)}>New plan</Button>}>Plans</PageTitle>
      <ReadOnlyHint />
      <Text size="sm" c="dimmed" mb="md" maw={720}>
        A plan sets how many instances a tenant may run and the limits of each. Move a tenant to another plan from the Tenants page.
      </Text>
      <Paper withBorder p="md">
        <QueryTable
          query={plans}
          keepDataOnError
          empty={<EmptyState title="No plans" action={canEdit && <Button onClick={() => openForm(null)}>New plan</Button>} />}
          label="Plans"
          minWidth={820}
          striped
          columns={['Plan', 'Instances', 'Memory', 'CPU', 'Processes', 'Storage', 'Workers', canEdit && 'Actions']}
        >
          {(p) => (
            <Table.Tr key={p.code}>
              <NameCell name={p.name} detail={p.code} monospace />
              <Table.Td>{p.maxInstances}</Table.Td>
              <Table.Td>{formatMemory(p.memoryMb)}</Table.Td>
              <Table.Td>{formatCpu(p.cpuMillis)}</Table.Td>
              <Table.Td>{p.pids.toLocaleString()}</Table.Td>
              <Table.Td>{p.storageGb} GB</Table.Td>
              <Table.Td>{p.workers}</Table.Td>
              {canEdit && (
                <Table.Td>
                  <Button variant="default" size="xs" onClick={() => openForm(p)} aria-label={`Edit plan ${p.name}`}>
                    Edit
                  </Button>
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
      <PlanForm plan={editing} opened={formOpened} onClose={form.close} />
    </>
  );
}
