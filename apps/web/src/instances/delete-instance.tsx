import { Alert, Button, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { FormActions, problemMessage } from '@saas/ui';
import { useState } from 'react';
import { type Instance, useDeleteInstance } from './instances.queries';

/** Danger zone: deletion after typing the subdomain; the page then follows it until it is gone. */
export function DeleteInstance({ instance }: { instance: Instance }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [typed, setTyped] = useState('');
  const remove = useDeleteInstance(instance);
  const matches = typed.trim() === instance.slug;
  const deleting = instance.status === 'deleting';

  const dismiss = () => {
    close();
    setTyped('');
    remove.reset();
  };

  return (
    <section aria-labelledby="danger-zone-title">
      <Title order={3} size="h4" id="danger-zone-title" c="red.9" mb="xs">
        Delete this instance
      </Title>
      <Text size="sm" mb="sm">
        Removes Odoo, its database, its files and its address for good. This cannot be undone.
      </Text>
      <Button color="red.9" onClick={open} disabled={deleting}>
        {deleting ? 'Deleting…' : 'Delete instance'}
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Delete ${instance.name}?`} centered>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (matches) remove.mutate(undefined, { onSuccess: dismiss });
          }}
        >
          <Stack>
            <Text size="sm">
              Everything in <strong>{instance.url}</strong> — the database, attachments and settings — is deleted permanently.
            </Text>
            {remove.isError && (
              <Alert color="red" role="alert">
                {problemMessage(remove.error)}
              </Alert>
            )}
            <TextInput
              label={
                <>
                  Type <strong>{instance.slug}</strong> to confirm
                </>
              }
              value={typed}
              onChange={(e) => setTyped(e.currentTarget.value)}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              data-autofocus
            />
            <FormActions
              submitLabel="Delete permanently"
              submitColor="red.9"
              pending={remove.isPending}
              onCancel={dismiss}
              submitDisabled={!matches}
            />
          </Stack>
        </form>
      </Modal>
    </section>
  );
}
