import { Alert, Anchor, Group, Loader, Stack, Text, TextInput } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { isApiProblem } from '@saas/api-client';
import { applyProblemToForm, focusFirstError, problemMessage } from '@saas/ui';
import { Link } from 'react-router';
import { billingProblem } from '../billing/billing-problem';
import { instanceAddress, SLUG_HINT } from './instance-address';
import { useSlugAvailability } from './instances.queries';

/** The part of a create-instance form (new instance, copy from a backup) that the subdomain needs. */
// biome-ignore lint/suspicious/noExplicitAny: the forms carry other fields beside name and slug
type SlugForm = UseFormReturnType<{ name: string; slug: string } & Record<string, any>>;

/** The subdomain's availability, asked of the API once typing pauses. */
export function useSlugCheck(value: string) {
  const [slug] = useDebouncedValue(value, 350);
  const availability = useSlugAvailability(slug);
  const checking = value !== slug || availability.isFetching;
  const available = slug === value ? availability.data?.available : undefined;
  return { availability, checking, available };
}
export type SlugCheck = ReturnType<typeof useSlugCheck>;

/** Before submitting: a subdomain the API already refused is put on the field instead. Returns true when refused. */
export function refuseUnavailableSlug(form: SlugForm, check: SlugCheck): boolean {
  if (check.available !== false) return false;
  form.setFieldError('slug', check.availability.data?.message ?? 'This name cannot be used.');
  focusFirstError(form, { slug: true });
  return true;
}

/** Why a creation was refused, for the form's alert; `billing` when the way out is the billing page. */
export interface CreateRefusal {
  message: string;
  billing: boolean;
}

/** Puts a refused creation's problem on the fields it names, on the subdomain when taken, or returns it for the alert. */
export function createRefusal(form: SlugForm, e: unknown): CreateRefusal | null {
  if (isApiProblem(e) && e.fieldErrors.length > 0) applyProblemToForm(form, e);
  else if (isApiProblem(e) && e.code === 'slug_taken') {
    form.setFieldError('slug', e.detail);
    focusFirstError(form, { slug: true });
  } else return { message: problemMessage(e), billing: billingProblem(e) !== null };
  return null;
}

export function CreateRefusedAlert({ title, refusal }: { title: string; refusal: CreateRefusal | null }) {
  if (!refusal) return null;
  return (
    <Alert color="red" role="alert" title={title}>
      {refusal.message}
      {refusal.billing && (
        <>
          {' '}
          <Anchor component={Link} to="/billing" underline="always">
            Go to billing
          </Anchor>
        </>
      )}
    </Alert>
  );
}

function SlugState({ slug, check }: { slug: string; check: SlugCheck }) {
  if (!slug) return null;
  if (check.checking) {
    return (
      <Group gap={6} wrap="nowrap">
        <Loader size={12} aria-hidden />
        <Text size="sm" c="dimmed">
          Checking whether “{slug}” is free…
        </Text>
      </Group>
    );
  }
  if (check.available === undefined) return null;
  return (
    <Text size="sm" c={check.available ? 'teal.9' : 'red.9'} fw={500}>
      {check.available ? `“${slug}” is available.` : (check.availability.data?.message ?? 'This name cannot be used.')}
    </Text>
  );
}

export interface SlugFieldProps {
  form: SlugForm;
  check: SlugCheck;
  /** Ids of the live availability line and of the address preview. */
  ids: { state: string; address?: string };
  /** Starts the address preview, e.g. "Your Odoo will be at". */
  addressLead: string;
  /** After the user typed in the field (stops following the name). */
  onEdited?: () => void;
}

/** The subdomain input with its live availability and the address it gives. */
export function SlugField({ form, check, ids, addressLead, onEdited }: SlugFieldProps) {
  const value = form.values.slug;
  return (
    <Stack gap={6}>
      <TextInput
        label="Subdomain"
        description={SLUG_HINT}
        required
        maxLength={63}
        autoCapitalize="none"
        autoCorrect="off"
        spellCheck={false}
        {...form.getInputProps('slug')}
        onChange={(e) => {
          onEdited?.();
          form.setFieldValue('slug', e.currentTarget.value.toLowerCase().replace(/\s+/g, '-'));
        }}
      />
      <div id={ids.state} aria-live="polite">
        {!form.errors.slug && <SlugState slug={value} check={check} />}
        {check.availability.isError && !check.checking && (
          <Text size="sm" c="dimmed">
            Could not check the name right now ({problemMessage(check.availability.error)}); it is checked again when you create the
            instance.
          </Text>
        )}
      </div>
      <Text size="sm" id={ids.address}>
        {addressLead}{' '}
        <Text span ff="monospace" fw={600} style={{ wordBreak: 'break-all' }}>
          {instanceAddress(value || 'your-name')}
        </Text>
      </Text>
    </Stack>
  );
}
