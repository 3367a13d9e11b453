import { Checkbox, Modal, Stack, Switch, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { applyProblemToForm, FormActions, focusFirstError, notifySuccess } from '@saas/ui';
import { KeyInput } from '../shared/key-input';
import { type OdooVersion, usePutOdooVersion } from './odoo-versions.queries';

export interface OdooVersionFormProps {
  /** The version to edit, or null to add one. */
  version: OdooVersion | null;
  opened: boolean;
  onClose: () => void;
  /** After a successful save (a new image queues a template build). */
  onSaved?: () => void;
}

/** Add or edit a catalog entry. Validation is the API's: its field errors land under the inputs. */
export function OdooVersionForm({ version, opened, onClose, onSaved }: OdooVersionFormProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={version ? `Edit Odoo ${version.version}` : 'Add an Odoo version'} centered>
      {/* Keyed so reopening starts from the row's current values. */}
      {opened && (
        <VersionFields
          key={version?.version ?? 'new'}
          version={version}
          onDone={onClose}
          onSaved={() => {
            onSaved?.();
            onClose();
          }}
        />
      )}
    </Modal>
  );
}

function VersionFields({ version, onDone, onSaved }: { version: OdooVersion | null; onDone: () => void; onSaved: () => void }) {
  const put = usePutOdooVersion();
  const form = useForm({
    initialValues: {
      version: version?.version ?? '',
      image: version?.image ?? '',
      enabled: version?.enabled ?? true,
      isDefault: version?.isDefault ?? false,
    },
    validate: {
      version: (v) => (v.trim() ? null : 'Enter a version, e.g. 18.0'),
      image: (v) => (v.trim() ? null : 'Enter an image, e.g. odoo:18.0'),
    },
  });

  async function submit(values: typeof form.values) {
    try {
      const saved = await put.mutateAsync({
        version: values.version.trim(),
        // Only ever set the default: unsetting it would leave new instances without one.
        body: { image: values.image.trim(), enabled: values.enabled, ...(values.isDefault ? { isDefault: true } : {}) },
      });
      // The API queues a template build for an enabled version with a new image.
      const rebuilds = saved.enabled && (version === null || version.image !== saved.image);
      notifySuccess(rebuilds ? 'Saved. Its template build is queued.' : 'Saved.', `Odoo ${saved.version}`);
      onSaved();
    } catch (e) {
      // The version is in the path: its errors come back as `params.version`.
      applyProblemToForm(form, e, { 'params.version': 'version' });
    }
  }

  const imageChanged = version !== null && form.values.image.trim() !== version.image;
  return (
    <form onSubmit={form.onSubmit(submit, (errors) => focusFirstError(form, errors))} noValidate>
      <Stack>
        <KeyInput
          label="Version"
          locked={version !== null}
          hint="As Odoo numbers it, e.g. 18.0"
          lockedHint="The version name cannot change."
          {...form.getInputProps('version')}
        />
        <TextInput
          label="Docker image"
          description={imageChanged ? 'A new image rebuilds the template.' : 'e.g. odoo:18.0 or registry.example.com/odoo:18.0'}
          required
          data-autofocus={version !== null || undefined}
          {...form.getInputProps('image')}
        />
        <Switch label="Offered to tenants" {...form.getInputProps('enabled', { type: 'checkbox' })} />
        <Checkbox
          label="Default for new instances"
          description={version?.isDefault ? 'To change the default, make another version the default.' : 'Replaces the current default.'}
          disabled={version?.isDefault}
          {...form.getInputProps('isDefault', { type: 'checkbox' })}
        />
        <FormActions submitLabel={version ? 'Save' : 'Add version'} pending={put.isPending} onCancel={onDone} />
      </Stack>
    </form>
  );
}
