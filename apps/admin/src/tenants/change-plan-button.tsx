import { Button, Modal, Select, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { FormActions, notifySuccess, problemMessage } from '@saas/ui';
import { type FormEvent, useState } from 'react';
import { usePlans, useSetTenantPlan } from '../plans/plans.queries';
import type { AdminTenant } from './tenants.queries';

/** Moves a tenant to another plan; its instances get that plan's limits. */
export function ChangePlanButton({ tenant }: { tenant: AdminTenant }) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button variant="default" size="xs" onClick={open} aria-label={`Change plan of ${tenant.name}`}>
        Change plan
      </Button>
      <Modal opened={opened} onClose={close} title={`Change the plan of ${tenant.name}`} centered>
        {opened && <ChangePlanForm tenant={tenant} onDone={close} />}
      </Modal>
    </>
  );
}

function ChangePlanForm({ tenant, onDone }: { tenant: AdminTenant; onDone: () => void }) {
  const plans = usePlans();
  const setPlan = useSetTenantPlan();
  const [planCode, setPlanCode] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!planCode) {
      setError('Choose a plan');
      return;
    }
    try {
      await setPlan.mutateAsync({ tenantId: tenant.id, planCode });
      const name = plans.data?.find((p) => p.code === planCode)?.name ?? planCode;
      notifySuccess(`${tenant.name} is now on ${name}. Its instances are getting the new limits.`, 'Plan changed');
      onDone();
    } catch (err) {
      setError(problemMessage(err));
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Select
          label="New plan"
          placeholder={plans.isPending ? 'Loading plans…' : 'Choose a plan'}
          data={(plans.data ?? []).map((p) => ({ value: p.code, label: `${p.name} (${p.code})` }))}
          value={planCode}
          onChange={(v) => {
            setPlanCode(v);
            setError(null);
          }}
          error={error ?? (plans.isError ? `Could not load plans: ${problemMessage(plans.error)}` : undefined)}
          disabled={!plans.data}
          required
          data-autofocus
          comboboxProps={{ withinPortal: true }}
        />
        <Text size="sm" c="dimmed">
          Memory, CPU and process limits apply to its running instances at once, Odoo workers at their next restart. A lower instance count
          does not remove existing instances.
        </Text>
        <FormActions submitLabel="Move tenant" pending={setPlan.isPending} onCancel={onDone} submitDisabled={!plans.data} />
      </Stack>
    </form>
  );
}
