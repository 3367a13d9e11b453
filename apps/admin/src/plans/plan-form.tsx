import { Button, Group, Modal, NumberInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { applyProblemToForm, focusFirstError, notifySuccess } from '@saas/ui';
import { type Plan, usePutPlan } from './plans.queries';

export interface PlanFormProps {
  /** The plan to edit, or null to create one. */
  plan: Plan | null;
  opened: boolean;
  onClose: () => void;
}

/** Defaults for a new plan: the smallest sensible Odoo. */
const blank = { code: '', name: '', maxInstances: 1, memoryMb: 1024, cpuMillis: 1000, pids: 512, storageGb: 10, workers: 2 };

type Values = typeof blank;
type NumberField = Exclude<keyof Values, 'code' | 'name'>;

const numberFields: { field: NumberField; label: string; description: string }[] = [
  { field: 'maxInstances', label: 'Instances per tenant', description: '0 to 1000' },
  { field: 'workers', label: 'Odoo workers', description: '0 to 64; applies at the next restart' },
  { field: 'memoryMb', label: 'Memory (MB)', description: '256 to 262144' },
  { field: 'cpuMillis', label: 'CPU (millicores)', description: '1000 = one CPU; 100 to 64000' },
  { field: 'pids', label: 'Processes', description: '64 to 100000' },
  { field: 'storageGb', label: 'Storage (GB)', description: 'Measured, not enforced; 1 to 10000' },
];

/** Create or edit a plan. Ranges are the API's: its field errors land under the inputs. */
export function PlanForm({ plan, opened, onClose }: PlanFormProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={plan ? `Edit plan ${plan.name}` : 'New plan'} centered size="lg">
      {opened && <PlanFields key={plan?.code ?? 'new'} plan={plan} onDone={onClose} />}
    </Modal>
  );
}

function PlanFields({ plan, onDone }: { plan: Plan | null; onDone: () => void }) {
  const put = usePutPlan();
  const form = useForm<Values>({
    initialValues: plan ?? blank,
    validate: {
      code: (v) => (v.trim() ? null : 'Enter a code, e.g. business'),
      name: (v) => (v.trim() ? null : 'Enter a name'),
      ...Object.fromEntries(numberFields.map(({ field }) => [field, (v: unknown) => (typeof v === 'number' ? null : 'Enter a number')])),
    },
  });

  async function submit({ code, name, ...limits }: Values) {
    try {
      const saved = await put.mutateAsync({ code: code.trim(), body: { name: name.trim(), ...limits } });
      notifySuccess(plan ? 'Its instances are getting the new limits.' : 'Plan created.', saved.name);
      onDone();
    } catch (e) {
      // The code is in the path: its errors come back as `params.code`.
      applyProblemToForm(form, e, { 'params.code': 'code' });
    }
  }

  return (
    <form onSubmit={form.onSubmit(submit, (errors) => focusFirstError(form, errors))} noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <TextInput
            label="Code"
            description={plan ? 'The code cannot change.' : 'Lowercase letters, digits and hyphens'}
            required
            disabled={plan !== null}
            data-autofocus={plan === null || undefined}
            {...form.getInputProps('code')}
          />
          <TextInput label="Name" required data-autofocus={plan !== null || undefined} {...form.getInputProps('name')} />
          {numberFields.map(({ field, label, description }) => (
            <NumberInput key={field} label={label} description={description} required allowDecimal={false} {...form.getInputProps(field)} />
          ))}
        </SimpleGrid>
        {plan && (
          <Text size="sm" c="dimmed">
            Memory, CPU and process limits apply to the plan’s running instances at once.
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone} disabled={put.isPending}>
            Cancel
          </Button>
          <Button type="submit" loading={put.isPending}>
            {plan ? 'Save' : 'Create plan'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
