import { List, Modal, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { FormActions, focusFirstError, formatDateTime } from '@saas/ui';
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { suggestSlug } from '../instances/instance-address';
import { useCreateInstance } from '../instances/instances.queries';
import {
  type CreateRefusal,
  CreateRefusedAlert,
  createRefusal,
  refuseUnavailableSlug,
  SlugField,
  useSlugCheck,
} from '../instances/slug-field';
import type { Backup } from './backups.queries';

export interface CopyDialogProps {
  tenantId: string;
  backup: Backup | null;
  onClose: () => void;
}

/**
 * A new instance made from a backup: a duplicate or staging copy. The platform neutralises it (no
 * outgoing mail, no scheduled actions, payment providers off, a new database identity); its Odoo
 * version is the backup's. The instance page then shows it being set up, live.
 */
export function CopyDialog({ tenantId, backup, onClose }: CopyDialogProps) {
  const navigate = useNavigate();
  const create = useCreateInstance(tenantId);
  const [refusal, setRefusal] = useState<CreateRefusal | null>(null);
  const form = useForm({
    initialValues: { name: '', slug: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Give the copy a name.'),
      slug: (v) => (v ? null : 'Choose a subdomain.'),
    },
  });

  // A fresh suggestion each time the dialog opens for a backup.
  const backupId = backup?.id;
  const sourceName = backup?.instanceName ?? '';
  const sourceSlug = backup?.instanceSlug ?? '';
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when another backup is chosen
  useEffect(() => {
    if (!backupId) return;
    form.setValues({ name: `${sourceName} (copy)`, slug: suggestSlug(`${sourceSlug}-copy`) });
    form.resetDirty();
    setRefusal(null);
  }, [backupId]);

  const slugCheck = useSlugCheck(form.values.slug);

  const dismiss = () => {
    create.reset();
    setRefusal(null);
    onClose();
  };

  async function submit(values: typeof form.values) {
    if (!backup) return;
    setRefusal(null);
    if (refuseUnavailableSlug(form, slugCheck)) return;
    try {
      const instance = await create.mutateAsync({ name: values.name.trim(), slug: values.slug, fromBackupId: backup.id });
      onClose();
      navigate(`/instances/${instance.id}`);
    } catch (e) {
      setRefusal(createRefusal(form, e));
    }
  }

  return (
    <Modal opened={backup !== null} onClose={dismiss} title="Create a copy from this backup" centered size="lg">
      {backup && (
        <form onSubmit={form.onSubmit(submit, (errors) => focusFirstError(form, errors))} noValidate>
          <Stack>
            <Text size="sm">
              A new instance with the data of {backup.instanceName} as of {formatDateTime(backup.completedAt ?? backup.createdAt)}, on Odoo{' '}
              {backup.odooVersion}: for tests or staging. To keep it from acting like the original, the platform turns off:
            </Text>
            <List size="sm" spacing={2}>
              <List.Item>outgoing mail servers (no email leaves the copy);</List.Item>
              <List.Item>scheduled actions;</List.Item>
              <List.Item>payment providers;</List.Item>
            </List>
            <Text size="sm">and gives its database a new identity. {backup.instanceName} itself is not touched.</Text>
            <CreateRefusedAlert title="The copy was not created" refusal={refusal} />
            <TextInput label="Name" required maxLength={80} data-autofocus {...form.getInputProps('name')} />
            <SlugField form={form} check={slugCheck} ids={{ state: 'copy-slug-state' }} addressLead="The copy will be at" />
            <FormActions submitLabel="Create the copy" pending={create.isPending} onCancel={dismiss} />
          </Stack>
        </form>
      )}
    </Modal>
  );
}
