import { Alert, Anchor, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { isApiProblem } from '@saas/api-client';
import { problemMessage } from '@saas/ui';
import { CopyValueButton } from './copy-button';
import { type Instance, type OdooCredentials, useResetAdminPassword, useRevealCredentials } from './instances.queries';

function CopyField({ label, value, monospace }: { label: string; value: string; monospace?: boolean }) {
  return (
    <TextInput
      label={label}
      value={value}
      readOnly
      onFocus={(e) => e.currentTarget.select()}
      styles={monospace ? { input: { fontFamily: 'var(--mantine-font-family-monospace)' } } : undefined}
      rightSection={<CopyValueButton value={value} label={`Copy ${label.toLowerCase()}`} />}
    />
  );
}

/** Login, password and address, shown once: the platform does not keep the password. */
export function CredentialsCard({ credentials, note }: { credentials: OdooCredentials; note: string }) {
  return (
    <Alert color="teal" title="Shown only this once" role="status">
      <Stack gap="sm">
        <Text size="sm">
          {note} <strong>Copy the password now — it will not be shown again.</strong> Store it in your password manager.
        </Text>
        <CopyField label="Address" value={credentials.url} />
        <CopyField label="Login" value={credentials.login} monospace />
        <CopyField label="Password" value={credentials.password} monospace />
        <Anchor href={credentials.url} target="_blank" rel="noopener noreferrer" size="sm" fw={600}>
          Open Odoo and sign in (new tab)
        </Anchor>
      </Stack>
    </Alert>
  );
}

/** "Set a new admin password" for owners and admins: confirmation, then the new password once. */
export function ResetAdminPassword({ instance, label = 'Reset admin password' }: { instance: Instance; label?: string }) {
  const reset = useResetAdminPassword(instance.id);
  const [opened, { open, close }] = useDisclosure(false);
  const settled = instance.status === 'running' || instance.status === 'stopped';
  return (
    <>
      {reset.data ? (
        <CredentialsCard credentials={reset.data} note="Odoo’s admin user now has this new password; the old one no longer works." />
      ) : (
        <Button variant="default" onClick={open} disabled={!settled} w="fit-content">
          {label}
        </Button>
      )}
      <Modal opened={opened} onClose={close} title="Reset the Odoo admin password?" centered>
        <Stack>
          <Text size="sm">
            The Odoo user “admin” of {instance.name} gets a new random password, shown to you once. Anyone signed in with the old one must
            use the new one next time.
          </Text>
          {reset.isError && (
            <Alert color="red" role="alert">
              {problemMessage(reset.error)}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={reset.isPending}>
              Cancel
            </Button>
            <Button color="red" loading={reset.isPending} onClick={() => reset.mutate(undefined, { onSuccess: close })} data-autofocus>
              Set a new password
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

/**
 * The initial admin password: owners reveal it once (then the API answers 410); admins can only reset it,
 * members see neither.
 */
export function AdminCredentials({ instance, role }: { instance: Instance; role: 'owner' | 'admin' | 'member' }) {
  const reveal = useRevealCredentials(instance.id);
  const [confirming, { open, close }] = useDisclosure(false);
  const settled = instance.status === 'running' || instance.status === 'stopped';

  if (role === 'member') {
    return (
      <Text size="sm" c="dimmed">
        Owners and admins of your organization manage the Odoo admin login.
      </Text>
    );
  }
  if (!settled) {
    return (
      <Text size="sm" c="dimmed">
        The admin login is available once the instance is running.
      </Text>
    );
  }
  if (reveal.data) {
    return <CredentialsCard credentials={reveal.data} note="This is the administrator account of your new Odoo." />;
  }
  const alreadyShown = isApiProblem(reveal.error) && reveal.error.code === 'credentials_already_shown';

  return (
    <Stack gap="sm">
      {role === 'owner' && instance.credentialsAvailable && !alreadyShown && (
        <>
          <Text size="sm">The initial password of Odoo’s “admin” user can be shown once. Have a password manager ready.</Text>
          <Button onClick={open} w="fit-content">
            Show admin password
          </Button>
          <Modal opened={confirming} onClose={close} title="Show the admin password?" centered>
            <Stack>
              <Text size="sm">It is shown only this once; afterwards the platform forgets it. You can always set a new one.</Text>
              {reveal.isError && (
                <Alert color="red" role="alert">
                  {problemMessage(reveal.error)}
                </Alert>
              )}
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Cancel
                </Button>
                <Button loading={reveal.isPending} onClick={() => reveal.mutate(undefined, { onSettled: close })} data-autofocus>
                  Show it now
                </Button>
              </Group>
            </Stack>
          </Modal>
        </>
      )}
      {(alreadyShown || !instance.credentialsAvailable) && (
        <Alert color="gray" role="status" title="The initial password was already shown">
          <Text size="sm">
            For your security it is shown only once and not stored. If it is lost, set a new password for the “admin” user below.
          </Text>
        </Alert>
      )}
      {role === 'admin' && instance.credentialsAvailable && (
        <Text size="sm">The owner of your organization can reveal the initial admin password once; you can set a new one instead.</Text>
      )}
      <ResetAdminPassword instance={instance} />
    </Stack>
  );
}
