import { Alert, Anchor, Button, Modal, NumberInput, Stack, Text, Textarea, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { FormActions, formatDateTime, problemMessage } from '@saas/ui';
import { type FormEvent, useState } from 'react';
import { REASON_MAX, reasonError } from './reason-button';
import { type AdminUser, type ImpersonationStarted, useStartImpersonation } from './users.queries';

/**
 * Support impersonation (docs/admin.md): asks why and for how long, starts it, then offers the link that
 * opens the tenant app as the user. A link the operator clicks, not window.open after the request: popup
 * blockers let a click through, and the single-use code in it is good for two minutes.
 */
export function ImpersonateButton({ user }: { user: AdminUser }) {
  const [opened, { open, close }] = useDisclosure(false);
  const who = user.name || user.email;
  return (
    <>
      <Button variant="light" color="grape" size="xs" onClick={open}>
        View as user
      </Button>
      <Modal opened={opened} onClose={close} title={`View the tenant app as ${who}`} centered>
        {opened && <ImpersonateForm user={user} onDone={close} />}
      </Modal>
    </>
  );
}

function ImpersonateForm({ user, onDone }: { user: AdminUser; onDone: () => void }) {
  const start = useStartImpersonation();
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState<number>(30);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<ImpersonationStarted | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const invalid = reasonError(reason);
    if (invalid) {
      setError(invalid);
      return;
    }
    try {
      setStarted(await start.mutateAsync({ userId: user.id, reason: reason.trim(), minutes }));
    } catch (err) {
      setError(problemMessage(err));
    }
  }

  if (started) {
    return (
      <Stack>
        <Alert color="grape" title="Impersonation started" role="status">
          You can act as {user.email} until {formatDateTime(started.expiresAt)}. The tenant app shows a banner the whole time, and the
          user’s tenants see this in their audit log.
        </Alert>
        <Anchor href={started.url} target="_blank" rel="noopener noreferrer" fw={600}>
          Open the tenant app as {user.email}
          <VisuallyHidden> (opens in a new tab)</VisuallyHidden>
        </Anchor>
        <Text size="xs" c="dimmed">
          The link works once, within two minutes. End the session from the banner when you are done.
        </Text>
        <Button variant="default" onClick={onDone}>
          Done
        </Button>
      </Stack>
    );
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">
          You will see the tenant app exactly as {user.email} does, without their password. Password, two-factor and Odoo credential changes
          stay off limits, and everything you do is recorded under your name.
        </Text>
        <Textarea
          label="Reason"
          description="Shown to the user’s organizations in their audit log."
          value={reason}
          onChange={(e) => {
            setReason(e.currentTarget.value);
            setError(null);
          }}
          error={error}
          required
          autosize
          minRows={2}
          maxLength={REASON_MAX}
          data-autofocus
        />
        <NumberInput
          label="Duration (minutes)"
          min={5}
          max={60}
          step={5}
          value={minutes}
          onChange={(v) => setMinutes(Math.min(60, Math.max(5, Number(v) || 30)))}
          clampBehavior="strict"
          allowDecimal={false}
        />
        <FormActions submitLabel="Start impersonation" pending={start.isPending} onCancel={onDone} submitColor="grape" />
      </Stack>
    </form>
  );
}
