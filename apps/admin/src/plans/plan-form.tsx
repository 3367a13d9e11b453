import { Modal, NumberInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { requestLimits } from '@saas/api-client';
import { applyProblemToForm, FormActions, focusFirstError, notifySuccess } from '@saas/ui';
import { KeyInput } from '../shared/key-input';
import { type Plan, usePutPlan } from './plans.queries';

export interface PlanFormProps {
  /** The plan to edit, or null to create one. */
  plan: Plan | null;
  opened: boolean;
  onClose: () => void;
}

/** Defaults for a new plan: the smallest sensible Odoo. */
const blank: Plan = { code: '', name: '', maxInstances: 1, memoryMb: 1024, cpuMillis: 1000, pids: 512, storageGb: 10, workers: 2 };

type NumberField = Exclude<keyof Plan, 'code' | 'name'>;

/** Each number's hint: the API's range, with what it means before and what follows after it. */
const numberFields: { field: NumberField; label: string; before?: string; after?: string }[] = [
  { field: 'maxInstances', label: 'Instances per tenant' },
  { field: 'workers', label: 'Odoo workers', after: 'applies at the next restart' },
  { field: 'memoryMb', label: 'Memory (MB)' },
  { field: 'cpuMillis', label: 'CPU (millicores)', before: '1000 = one CPU' },
  { field: 'pids', label: 'Processes' },
  { field: 'storageGb', label: 'Storage (GB)', before: 'Measured, not enforced' },
];

function describe({ field, before, after }: (typeof numberFields)[number]): string {
  const { minimum, maximum } = requestLimits['PUT /admin/plans/{code}'][field];
  return [before, `${minimum} to ${maximum}`, after].filter(Boolean).join('; ');
}

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
  const form = useForm<Plan>({
    initialValues: plan ?? blank,
    validate: {
      code: (v) => (v.trim() ? null : 'Enter a code, e.g. business'),
      name: (v) => (v.trim() ? null : 'Enter a name'),
      ...Object.fromEntries(numberFields.map(({ field }) => [field, (v: unknown) => (typeof v === 'number' ? null : 'Enter a number')])),
    },
  });

  async function submit({ code, name, ...limits }: Plan) {
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
          <KeyInput
            label="Code"
            locked={plan !== null}
            hint="Lowercase letters, digits and hyphens"
            lockedHint="The code cannot change."
            {...form.getInputProps('code')}
          />
          <TextInput label="Name" required data-autofocus={plan !== null || undefined} {...form.getInputProps('name')} />
          {numberFields.map((f) => (
            <NumberInput
              key={f.field}
              label={f.label}
              description={describe(f)}
              required
              allowDecimal={false}
              {...form.getInputProps(f.field)}
            />
          ))}
        </SimpleGrid>
        {plan && (
          <Text size="sm" c="dimmed">
            Memory, CPU and process limits apply to the plan’s running instances at once.
          </Text>
        )}
        <FormActions submitLabel={plan ? 'Save' : 'Create plan'} pending={put.isPending} onCancel={onDone} />
      </Stack>
    </form>
  );
}
