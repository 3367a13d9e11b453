import { MultiSelect, NumberInput, Select, SimpleGrid, Switch } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { requestLimits } from '@saas/api-client';
import { minorPerMajor } from '../billing/money';
import { useOdooVersions } from '../versions/odoo-versions.queries';
import type { Plan } from './plans.queries';

/** Numbers as the inputs hold them: a NumberInput being edited may hold '' or a partial string. */
type Num = number | string;

export interface PlanFormValues {
  code: string;
  name: string;
  description: string;
  visibility: Plan['visibility'];
  sortOrder: Num;
  trialDays: Num;
  perUser: boolean;
  customDomains: boolean;
  /** Empty: every version the platform offers. */
  odooVersions: string[];
  maxInstances: Num;
  memoryMb: Num;
  cpuMillis: Num;
  pids: Num;
  storageGb: Num;
  workers: Num;
  backupRetention: { daily: Num; weekly: Num; monthly: Num };
  manualBackupsPerDay: Num;
  /** Major units (12.5 = €12.50); empty: no price for that interval. */
  prices: { month: Num; year: Num };
}

type Form = UseFormReturnType<PlanFormValues>;
type Bounded = keyof (typeof requestLimits)['PUT /admin/plans/{code}'];

/** The hint under a number: the API's range, with what it means before and what follows after it. */
function describe(field: Bounded, before?: string, after?: string): string {
  const bounds = requestLimits['PUT /admin/plans/{code}'][field];
  const range = 'minimum' in bounds && 'maximum' in bounds ? `${bounds.minimum} to ${bounds.maximum}` : undefined;
  return [before, range, after].filter(Boolean).join('; ');
}

/** The currency of a plan's prices, when it has any. */
export function priceCurrency(plan: Plan): string | undefined {
  return (plan.prices.find((p) => p.active) ?? plan.prices[0])?.currency;
}

export const limitFields: { field: Bounded & keyof PlanFormValues; label: string; before?: string; after?: string }[] = [
  { field: 'maxInstances', label: 'Instances per tenant' },
  { field: 'workers', label: 'Odoo workers', after: 'applies at the next restart' },
  { field: 'memoryMb', label: 'Memory (MB)' },
  { field: 'cpuMillis', label: 'CPU (millicores)', before: '1000 = one CPU' },
  { field: 'pids', label: 'Processes' },
  { field: 'storageGb', label: 'Storage (GB)', before: 'Measured, not enforced' },
];

export function LimitFields({ form }: { form: Form }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, sm: 3 }}>
      {limitFields.map((f) => (
        <NumberInput
          key={f.field}
          label={f.label}
          description={describe(f.field, f.before, f.after)}
          required
          allowDecimal={false}
          {...form.getInputProps(f.field)}
        />
      ))}
    </SimpleGrid>
  );
}

/** How the plan is offered: on the pricing page or not, in which order, with a trial, per user. */
export function OfferFields({ form }: { form: Form }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2 }}>
      <Select
        label="Visibility"
        description="Hidden plans are assigned by an admin only"
        data={[
          { value: 'public', label: 'Public (on the pricing page)' },
          { value: 'hidden', label: 'Hidden' },
        ]}
        allowDeselect={false}
        comboboxProps={{ withinPortal: true }}
        {...form.getInputProps('visibility')}
      />
      <NumberInput
        label="Sort order"
        description={describe('sortOrder', 'Lower comes first')}
        allowDecimal={false}
        {...form.getInputProps('sortOrder')}
      />
      <NumberInput
        label="Trial days"
        description={describe('trialDays', '0: no trial')}
        allowDecimal={false}
        {...form.getInputProps('trialDays')}
      />
      <Switch
        mt="lg"
        label="Priced per user"
        description="The price is multiplied by the active internal Odoo users, counted daily"
        {...form.getInputProps('perUser', { type: 'checkbox' })}
      />
    </SimpleGrid>
  );
}

export function PriceFields({ form, currency }: { form: Form; currency: string | undefined }) {
  const code = currency?.toUpperCase() ?? '';
  const decimals = currency ? Math.log10(minorPerMajor(currency)) : 2;
  const common = { min: 0, decimalScale: decimals, allowNegative: false } as const;
  const hint = currency ? `In ${code}; empty: no price` : 'Empty: no price (the platform currency is loading)';
  return (
    <SimpleGrid cols={{ base: 1, xs: 2 }}>
      <NumberInput label={`Monthly price${code && ` (${code})`}`} description={hint} {...common} {...form.getInputProps('prices.month')} />
      <NumberInput label={`Yearly price${code && ` (${code})`}`} description={hint} {...common} {...form.getInputProps('prices.year')} />
    </SimpleGrid>
  );
}

/** Custom domains and the Odoo versions the plan may create. */
export function BillingFields({ form }: { form: Form }) {
  const versions = useOdooVersions();
  const chosen = form.getValues().odooVersions;
  // Keep versions already on the plan even if the catalog no longer lists them.
  const options = [...new Set([...(versions.data ?? []).map((v) => v.version), ...chosen])];
  return (
    <SimpleGrid cols={{ base: 1, xs: 2 }}>
      <MultiSelect
        label="Odoo versions"
        description="None chosen: every version the platform offers"
        placeholder={versions.isPending ? 'Loading versions…' : chosen.length ? undefined : 'Every version'}
        data={options}
        clearable
        comboboxProps={{ withinPortal: true }}
        {...form.getInputProps('odooVersions')}
      />
      <Switch
        mt="lg"
        label="Custom domains"
        description="Tenants may attach their own domain names"
        {...form.getInputProps('customDomains', { type: 'checkbox' })}
      />
    </SimpleGrid>
  );
}

export function RetentionFields({ form }: { form: Form }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, sm: 4 }}>
      <NumberInput label="Daily backups kept" allowDecimal={false} min={0} {...form.getInputProps('backupRetention.daily')} />
      <NumberInput label="Weekly backups kept" allowDecimal={false} min={0} {...form.getInputProps('backupRetention.weekly')} />
      <NumberInput label="Monthly backups kept" allowDecimal={false} min={0} {...form.getInputProps('backupRetention.monthly')} />
      <NumberInput
        label="Manual backups a day"
        description={describe('manualBackupsPerDay')}
        allowDecimal={false}
        min={0}
        {...form.getInputProps('manualBackupsPerDay')}
      />
    </SimpleGrid>
  );
}
