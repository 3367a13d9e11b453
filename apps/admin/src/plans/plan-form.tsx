import { Alert, Divider, Modal, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { applyProblemToForm, FormActions, focusFirstError, notifySuccess } from '@saas/ui';
import { useBillingCurrency } from '../billing/billing.queries';
import { toMajor, toMinor } from '../billing/money';
import { KeyInput } from '../shared/key-input';
import {
  BillingFields,
  LimitFields,
  limitFields,
  OfferFields,
  type PlanFormValues,
  PriceFields,
  priceCurrency,
  RetentionFields,
} from './plan-fields';
import { EarlierPrices } from './plan-prices';
import { type Plan, type PlanBody, usePutPlan } from './plans.queries';

export interface PlanFormProps {
  /** The plan to edit, or null to create one. */
  plan: Plan | null;
  opened: boolean;
  onClose: () => void;
}

/** Defaults for a new plan: the smallest sensible Odoo, free, public. */
const blank: PlanFormValues = {
  code: '',
  name: '',
  description: '',
  visibility: 'public',
  sortOrder: 0,
  trialDays: 0,
  perUser: false,
  customDomains: false,
  odooVersions: [],
  maxInstances: 1,
  memoryMb: 1024,
  cpuMillis: 1000,
  pids: 512,
  storageGb: 10,
  workers: 2,
  backupRetention: { daily: 7, weekly: 4, monthly: 3 },
  manualBackupsPerDay: 3,
  prices: { month: '', year: '' },
};

function activeAmount(plan: Plan, interval: 'month' | 'year'): number | '' {
  const price = plan.prices.find((p) => p.active && p.interval === interval);
  return price ? toMajor(price.unitAmount, price.currency) : '';
}

function toValues(plan: Plan): PlanFormValues {
  return {
    ...plan,
    odooVersions: plan.odooVersions ?? [],
    prices: { month: activeAmount(plan, 'month'), year: activeAmount(plan, 'year') },
  };
}

const num = (v: number | string) => Number(v);
const amount = (v: number | string, currency: string) => (v === '' ? null : toMinor(Number(v), currency));

/** The API's body: numbers as numbers, prices in minor units, no chosen version meaning every version. */
function toBody(v: PlanFormValues, currency: string): PlanBody {
  return {
    name: v.name.trim(),
    description: v.description.trim(),
    visibility: v.visibility,
    sortOrder: num(v.sortOrder),
    trialDays: num(v.trialDays),
    perUser: v.perUser,
    customDomains: v.customDomains,
    odooVersions: v.odooVersions.length ? v.odooVersions : null,
    maxInstances: num(v.maxInstances),
    memoryMb: num(v.memoryMb),
    cpuMillis: num(v.cpuMillis),
    pids: num(v.pids),
    storageGb: num(v.storageGb),
    workers: num(v.workers),
    backupRetention: {
      daily: num(v.backupRetention.daily),
      weekly: num(v.backupRetention.weekly),
      monthly: num(v.backupRetention.monthly),
    },
    manualBackupsPerDay: num(v.manualBackupsPerDay),
    prices: { month: amount(v.prices.month, currency), year: amount(v.prices.year, currency) },
  };
}

const isNumber = (v: unknown) => (typeof v === 'number' ? null : 'Enter a number');

/** Create or edit a plan. Ranges are the API's: its field errors land under the inputs. */
export function PlanForm({ plan, opened, onClose }: PlanFormProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={plan ? `Edit plan ${plan.name}` : 'New plan'} centered size="xl">
      {opened && <PlanFields key={plan?.code ?? 'new'} plan={plan} onDone={onClose} />}
    </Modal>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Stack gap="xs">
      <Divider />
      <Title order={3} size="h5">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

function PlanFields({ plan, onDone }: { plan: Plan | null; onDone: () => void }) {
  const put = usePutPlan();
  const platformCurrency = useBillingCurrency().currency;
  // A plan's prices keep the currency they were made in; a new price is in the platform's.
  const currency = (plan && priceCurrency(plan)) ?? platformCurrency;
  const form = useForm<PlanFormValues>({
    initialValues: plan ? toValues(plan) : blank,
    validate: {
      code: (v) => (v.trim() ? null : 'Enter a code, e.g. business'),
      name: (v) => (v.trim() ? null : 'Enter a name'),
      sortOrder: isNumber,
      trialDays: isNumber,
      manualBackupsPerDay: isNumber,
      backupRetention: { daily: isNumber, weekly: isNumber, monthly: isNumber },
      ...Object.fromEntries(limitFields.map(({ field }) => [field, isNumber])),
    },
  });

  const { month, year } = form.getValues().prices;
  // Amounts need the currency's minor unit; a plan without prices can be saved before it is known.
  const waitingForCurrency = !currency && (month !== '' || year !== '');

  async function submit(values: PlanFormValues) {
    if (waitingForCurrency) return;
    try {
      const saved = await put.mutateAsync({ code: values.code.trim(), body: toBody(values, currency ?? '') });
      const synced = saved.syncError ? ` The payment provider did not take it: ${saved.syncError}` : '';
      notifySuccess(`${plan ? 'Its instances are getting the new limits.' : 'Plan created.'}${synced}`, saved.name);
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
        </SimpleGrid>
        <Textarea
          label="Description"
          description="Shown on the pricing page"
          autosize
          minRows={2}
          maxLength={2000}
          {...form.getInputProps('description')}
        />
        <OfferFields form={form} />
        <Section title="Prices">
          <PriceFields form={form} currency={currency} />
          {plan && (
            <Alert variant="light" color="blue" p="sm">
              <Text size="sm">
                A changed price becomes a new price (and a new Stripe price when Stripe is connected). Existing subscribers keep the price
                they pay until they change plan. An empty price means the plan has no price for that interval; no price at all makes it
                free.
              </Text>
            </Alert>
          )}
          {plan && <EarlierPrices prices={plan.prices} />}
        </Section>
        <Section title="Limits per instance">
          <LimitFields form={form} />
          {plan && (
            <Text size="sm" c="dimmed">
              Memory, CPU and process limits apply to the plan’s running instances at once.
            </Text>
          )}
        </Section>
        <Section title="What the plan allows">
          <BillingFields form={form} />
        </Section>
        <Section title="Backups">
          <RetentionFields form={form} />
        </Section>
        <FormActions
          submitLabel={plan ? 'Save' : 'Create plan'}
          pending={put.isPending}
          onCancel={onDone}
          submitDisabled={waitingForCurrency}
        />
      </Stack>
    </form>
  );
}
