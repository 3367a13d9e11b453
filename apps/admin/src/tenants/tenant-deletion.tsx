import { Alert, Button, List, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { FormActions, formatDateTime, notifySuccess, problemMessage } from '@saas/ui';
import { type FormEvent, useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { REASON_MAX } from '../users/reason-button';
import { type AdminTenantDetail, type TenantDeletion as DeletionResult, useDeleteTenant } from './tenants.queries';

const REASON_MIN = 3;

const subscriptionOutcome: Record<DeletionResult['subscription'], string> = {
  canceled: 'The subscription was canceled.',
  none: 'There was no subscription left to end.',
  provider_cancel_required: 'Its Stripe subscription is still active: cancel it in the Stripe dashboard.',
};

/**
 * An operator's deletion of the tenant: the deleted state when it is, and (platform admins only) the button
 * that deletes it after typing its name and a reason — or repeats the deletion, which finishes one that
 * was interrupted. The result stays in the dialog until closed.
 */
export function TenantDeletion({ tenant }: { tenant: AdminTenantDetail }) {
  const canEdit = useIsPlatformAdmin();
  const [opened, { open, close }] = useDisclosure(false);
  const deletion = tenant.deletion;
  // Instances an interrupted deletion may have left: repeating it sends them through their deletion.
  const leftBehind = tenant.instances.some((i) => i.status !== 'deleted' && i.status !== 'deleting');

  return (
    <>
      {deletion && (
        <Alert color="gray" variant="light" title="Deleted by an operator" role="status" mb="sm">
          <Text size="sm">
            Since {formatDateTime(deletion.at)}. Reason: {deletion.reason}. Its members no longer see it; its final backups are kept for the
            plan’s retention period.
          </Text>
        </Alert>
      )}
      {canEdit && (!deletion || leftBehind) && (
        <Button color="red" variant="light" size="xs" onClick={open} mt="xs">
          {deletion ? 'Finish deletion' : 'Delete tenant'}
        </Button>
      )}
      <Modal opened={opened} onClose={close} title={`Delete ${tenant.name}`} centered>
        {opened && <DeletionForm tenant={tenant} onDone={close} />}
      </Modal>
    </>
  );
}

function DeletionForm({ tenant, onDone }: { tenant: AdminTenantDetail; onDone: () => void }) {
  const remove = useDeleteTenant(tenant.id);
  const [name, setName] = useState('');
  const [reason, setReason] = useState(tenant.deletion?.reason ?? '');
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<DeletionResult | null>(null);
  const live = tenant.instances.filter((i) => i.status !== 'deleted' && i.status !== 'deleting').length;

  if (result) return <DeletionOutcome result={result} onDone={onDone} />;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (name.trim() !== tenant.name.trim()) return setError('Type the tenant’s name exactly as shown.');
    if (reason.trim().length < REASON_MIN) return setError(`Give a reason of at least ${REASON_MIN} characters.`);
    try {
      const done = await remove.mutateAsync({ confirmName: name, reason: reason.trim() });
      setResult(done);
      notifySuccess(`${done.instances.length} instance(s) are being deleted, each after a final backup.`, `${tenant.name} deleted`);
    } catch (err) {
      setError(problemMessage(err));
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">
          Its members lose access at once, its {live} live instance(s) are deleted (each after a final backup, kept for the plan’s
          retention), pending invitations are withdrawn, its subscription ends and the owner is told by mail. This cannot be undone from the
          dashboard.
        </Text>
        <TextInput
          label={`Type “${tenant.name}” to confirm`}
          value={name}
          onChange={(e) => {
            setName(e.currentTarget.value);
            setError(null);
          }}
          required
          autoComplete="off"
          data-autofocus
        />
        <Textarea
          label="Reason"
          description="Recorded in the audit trail with your name and sent to the owner."
          value={reason}
          onChange={(e) => {
            setReason(e.currentTarget.value);
            setError(null);
          }}
          required
          autosize
          minRows={2}
          maxLength={REASON_MAX}
        />
        {error && (
          <Text size="sm" c="red" role="alert">
            {error}
          </Text>
        )}
        <FormActions
          submitLabel="Delete tenant"
          pending={remove.isPending}
          onCancel={onDone}
          submitColor="red"
          submitDisabled={name.trim() !== tenant.name.trim()}
        />
      </Stack>
    </form>
  );
}

function DeletionOutcome({ result, onDone }: { result: DeletionResult; onDone: () => void }) {
  return (
    <Stack>
      <Alert color="teal" variant="light" title={result.firstRequest ? 'Tenant deleted' : 'Deletion repeated'} role="status">
        <List size="sm" spacing={4}>
          <List.Item>
            {result.instances.length === 0
              ? 'No instance left to delete.'
              : `Being deleted after a final backup: ${result.instances.join(', ')}.`}
          </List.Item>
          <List.Item>{subscriptionOutcome[result.subscription]}</List.Item>
          <List.Item>{result.revokedInvitations} pending invitation(s) withdrawn.</List.Item>
        </List>
      </Alert>
      <Button onClick={onDone} variant="default" style={{ alignSelf: 'flex-end' }}>
        Done
      </Button>
    </Stack>
  );
}
