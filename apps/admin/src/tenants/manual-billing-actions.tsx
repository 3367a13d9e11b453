import { Button, Group, Modal, NumberInput, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { applyProblemToForm, FormActions, focusFirstError, notifySuccess, problemMessage } from '@saas/ui';
import { type ReactNode, useState } from 'react';
import { useBillingCurrency } from '../billing/billing.queries';
import { subscriptionStatusLabels } from '../billing/billing-badges';
import { formatMoney, minorPerMajor, toMinor } from '../billing/money';
import { type ManualStateBody, useRecordPayment, useSetSubscriptionState } from './tenants.queries';

interface TenantRef {
  id: string;
  name: string;
}

/** What each state the admin may set does to the tenant, said before it is confirmed. */
const stateEffects: Record<ManualStateBody['status'], string> = {
  trialing: 'Full use of the plan while the trial lasts.',
  active: 'Full use of the plan; suspended instances start again.',
  past_due: 'A banner and reminder mails; after the grace period its instances are suspended.',
  canceled: 'Its instances are suspended at once and deleted after the retention period.',
  unpaid: 'Its instances are suspended at once and deleted after the retention period.',
};
const stateOptions = Object.entries(stateEffects).map(([value]) => ({
  value,
  label: subscriptionStatusLabels[value as ManualStateBody['status']],
}));

/** A dialog that shows a form, then what is about to happen, and only then sends it. */
function ActionDialog({
  label,
  ariaLabel,
  title,
  children,
}: {
  label: string;
  /** Starts with the visible label, so speech users can say what they see. */
  ariaLabel: string;
  title: string;
  children: (onDone: () => void) => ReactNode;
}) {
  const [opened, { open, close }] = useDisclosure(false);
  return (
    <>
      <Button variant="default" size="xs" onClick={open} aria-label={ariaLabel}>
        {label}
      </Button>
      <Modal opened={opened} onClose={close} title={title} centered>
        {opened && children(close)}
      </Modal>
    </>
  );
}

function Confirm({
  summary,
  pending,
  onBack,
  onConfirm,
}: {
  summary: ReactNode;
  pending: boolean;
  onBack: () => void;
  onConfirm: () => void;
}) {
  return (
    <Stack>
      <Text size="sm">{summary}</Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={onBack} disabled={pending}>
          Back
        </Button>
        <Button onClick={onConfirm} loading={pending} data-autofocus>
          Confirm
        </Button>
      </Group>
    </Stack>
  );
}

function SetStateForm({ tenant, onDone }: { tenant: TenantRef; onDone: () => void }) {
  const setState = useSetSubscriptionState();
  const [confirming, setConfirming] = useState(false);
  const form = useForm<{ status: ManualStateBody['status'] | null; reason: string }>({
    initialValues: { status: null, reason: '' },
    validate: {
      status: (v) => (v ? null : 'Choose a state'),
      reason: (v) => (v.trim().length >= 3 ? null : 'Say why, in a few words (kept in the audit log)'),
    },
  });
  const { status, reason } = form.getValues();

  async function send() {
    if (!status) return;
    try {
      await setState.mutateAsync({ tenantId: tenant.id, body: { status, reason: reason.trim() } });
      notifySuccess(
        `${tenant.name} is now ${subscriptionStatusLabels[status].toLowerCase()}. The owner is told by mail.`,
        'Subscription changed',
      );
      onDone();
    } catch (e) {
      setConfirming(false);
      applyProblemToForm(form, e);
    }
  }

  if (confirming && status) {
    return (
      <Confirm
        summary={`Set the subscription of ${tenant.name} to ${subscriptionStatusLabels[status]}? ${stateEffects[status]}`}
        pending={setState.isPending}
        onBack={() => setConfirming(false)}
        onConfirm={send}
      />
    );
  }
  return (
    <form
      onSubmit={form.onSubmit(
        () => setConfirming(true),
        (errors) => focusFirstError(form, errors),
      )}
      noValidate
    >
      <Stack>
        <Select
          label="New state"
          placeholder="Choose a state"
          data={stateOptions}
          required
          data-autofocus
          comboboxProps={{ withinPortal: true }}
          description={status ? stateEffects[status] : undefined}
          {...form.getInputProps('status')}
        />
        <Textarea label="Reason" required autosize minRows={2} maxLength={500} {...form.getInputProps('reason')} />
        <FormActions submitLabel="Continue" pending={false} onCancel={onDone} />
      </Stack>
    </form>
  );
}

function RecordPaymentForm({ tenant, onDone }: { tenant: TenantRef; onDone: () => void }) {
  const record = useRecordPayment();
  const { currency, error: currencyError } = useBillingCurrency();
  const [confirming, setConfirming] = useState(false);
  const form = useForm<{ amount: number | string; reference: string }>({
    initialValues: { amount: '', reference: '' },
    validate: {
      amount: (v) => (typeof v === 'number' && v > 0 ? null : 'Enter the amount received'),
      reference: (v) => (v.trim() ? null : 'Enter the bank reference or receipt number'),
    },
  });
  const { amount, reference } = form.getValues();
  const minor = currency && typeof amount === 'number' ? toMinor(amount, currency) : 0;

  async function send() {
    try {
      await record.mutateAsync({ tenantId: tenant.id, body: { amount: minor, reference: reference.trim() } });
      notifySuccess(`A paid invoice of ${formatMoney(minor, currency ?? 'eur')} is recorded for ${tenant.name}.`, 'Payment recorded');
      onDone();
    } catch (e) {
      setConfirming(false);
      applyProblemToForm(form, e);
    }
  }

  if (confirming && currency) {
    return (
      <Confirm
        summary={`Record a payment of ${formatMoney(minor, currency)} (${reference.trim()}) from ${tenant.name}? A past-due, unpaid or canceled subscription becomes active again and its instances resume.`}
        pending={record.isPending}
        onBack={() => setConfirming(false)}
        onConfirm={send}
      />
    );
  }
  return (
    <form
      onSubmit={form.onSubmit(
        () => setConfirming(true),
        (errors) => focusFirstError(form, errors),
      )}
      noValidate
    >
      <Stack>
        <NumberInput
          label={currency ? `Amount (${currency.toUpperCase()})` : 'Amount'}
          description={
            currency
              ? undefined
              : currencyError
                ? `Could not load the platform currency: ${problemMessage(currencyError)}`
                : 'Loading the platform currency…'
          }
          required
          min={0}
          decimalScale={currency ? Math.log10(minorPerMajor(currency)) : 2}
          data-autofocus
          {...form.getInputProps('amount')}
        />
        <TextInput
          label="Reference"
          description="Bank transfer reference, receipt number…"
          required
          maxLength={200}
          {...form.getInputProps('reference')}
        />
        <FormActions submitLabel="Continue" pending={false} onCancel={onDone} submitDisabled={!currency} />
      </Stack>
    </form>
  );
}

/** What an admin does for a tenant on the manual provider: set its subscription's state, record a payment. */
export function ManualBillingActions({ tenant }: { tenant: TenantRef }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <ActionDialog label="Set state" ariaLabel={`Set state of ${tenant.name}`} title={`Set the subscription state of ${tenant.name}`}>
        {(onDone) => <SetStateForm tenant={tenant} onDone={onDone} />}
      </ActionDialog>
      <ActionDialog label="Record payment" ariaLabel={`Record payment from ${tenant.name}`} title={`Record a payment from ${tenant.name}`}>
        {(onDone) => <RecordPaymentForm tenant={tenant} onDone={onDone} />}
      </ActionDialog>
    </Group>
  );
}
