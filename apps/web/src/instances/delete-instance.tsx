import { Button, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { ConfirmBySubdomain } from './confirm-by-subdomain';
import { type Instance, useDeleteInstance } from './instances.queries';

/** Danger zone: deletion after typing the subdomain; the page then follows it until it is gone. */
export function DeleteInstance({ instance }: { instance: Instance }) {
  const [opened, { open, close }] = useDisclosure(false);
  const remove = useDeleteInstance(instance);
  const deleting = instance.status === 'deleting';

  const dismiss = () => {
    close();
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
      <ConfirmBySubdomain
        opened={opened}
        onClose={dismiss}
        title={`Delete ${instance.name}?`}
        slug={instance.slug}
        submitLabel="Delete permanently"
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => remove.mutate(undefined, { onSuccess: dismiss })}
      >
        <Text size="sm">
          Everything in <strong>{instance.url}</strong> — the database, attachments and settings — is deleted permanently.
        </Text>
      </ConfirmBySubdomain>
    </section>
  );
}
