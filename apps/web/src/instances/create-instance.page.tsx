import { Alert, Anchor, Button, Group, Loader, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { isApiProblem } from '@saas/api-client';
import { applyProblemToForm, EmptyState, ErrorState, focusFirstError, PageTitle, problemMessage, useSession } from '@saas/ui';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { billingProblem } from '../billing/billing-problem';
import { useCurrentTenant } from '../tenants/current-tenant';
import { instanceAddress, SLUG_HINT, suggestSlug } from './instance-address';
import { useCreateInstance, useInstances, useOdooVersions, useSlugAvailability } from './instances.queries';
import { OnboardingSteps } from './onboarding-steps';

function SlugState({
  slug,
  pending,
  available,
  message,
}: {
  slug: string;
  pending: boolean;
  available?: boolean;
  message?: string | null;
}) {
  if (!slug) return null;
  if (pending) {
    return (
      <Group gap={6} wrap="nowrap">
        <Loader size={12} aria-hidden />
        <Text size="sm" c="dimmed">
          Checking whether “{slug}” is free…
        </Text>
      </Group>
    );
  }
  if (available === undefined) return null;
  return (
    <Text size="sm" c={available ? 'teal.9' : 'red.9'} fw={500}>
      {available ? `“${slug}” is available.` : (message ?? 'This name cannot be used.')}
    </Text>
  );
}

export function CreateInstancePage() {
  const { me } = useSession();
  const { tenant } = useCurrentTenant();
  const navigate = useNavigate();
  const instances = useInstances(tenant?.id);
  const versions = useOdooVersions();
  const create = useCreateInstance(tenant?.id ?? '');
  const [slugEdited, setSlugEdited] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  // The refusal came from billing (402 subscription_required / tenant_suspended): offer the way there.
  const [billingRefused, setBillingRefused] = useState(false);

  const form = useForm({
    initialValues: { name: '', slug: '', version: '' },
    validate: {
      name: (v) => (v.trim() ? null : 'Give your instance a name.'),
      slug: (v) => (v ? null : 'Choose a subdomain.'),
      version: (v) => (v ? null : 'Choose an Odoo version.'),
    },
  });

  // Preselect the default version once the list is in.
  const defaultVersion = versions.data?.find((v) => v.isDefault)?.version ?? versions.data?.[0]?.version;
  useEffect(() => {
    if (defaultVersion && !form.getValues().version) form.setFieldValue('version', defaultVersion);
  }, [defaultVersion, form]);

  const [slug] = useDebouncedValue(form.values.slug, 350);
  const availability = useSlugAvailability(slug);
  const checking = form.values.slug !== slug || availability.isFetching;
  const slugAvailable = slug === form.values.slug ? availability.data?.available : undefined;

  if (!me || !tenant) {
    return (
      <>
        <PageTitle>New instance</PageTitle>
        <EmptyState title="No organization" description="You need to belong to an organization to create an instance." />
      </>
    );
  }
  const first = instances.data ? instances.data.length === 0 : false;
  const canCreate = tenant.role === 'owner' || tenant.role === 'admin';

  if (!canCreate) {
    return (
      <>
        <PageTitle>New instance</PageTitle>
        <EmptyState
          title="Only owners and admins create instances"
          description={`Ask an owner or admin of ${tenant.name} to create one, or to make you an admin.`}
          action={
            <Button component={Link} to="/instances" variant="default">
              Back to instances
            </Button>
          }
        />
      </>
    );
  }

  async function submit(values: typeof form.values) {
    setFormError(null);
    if (slugAvailable === false) {
      form.setFieldError('slug', availability.data?.message ?? 'This name cannot be used.');
      focusFirstError(form, { slug: true });
      return;
    }
    try {
      const instance = await create.mutateAsync({ name: values.name.trim(), slug: values.slug, version: values.version || undefined });
      navigate(`/instances/${instance.id}/setup`);
    } catch (e) {
      if (isApiProblem(e) && e.fieldErrors.length > 0) applyProblemToForm(form, e);
      else if (isApiProblem(e) && e.code === 'slug_taken') {
        form.setFieldError('slug', e.detail);
        focusFirstError(form, { slug: true });
      } else {
        setBillingRefused(billingProblem(e) !== null);
        setFormError(problemMessage(e));
      }
    }
  }

  const unverified = !me.user.emailVerified;

  return (
    <Stack gap="lg" maw={640}>
      <PageTitle>{first ? 'Create your first Odoo' : 'New instance'}</PageTitle>
      <OnboardingSteps active={0} />
      {first && (
        <Text>
          Pick a name and an address. We set up a dedicated Odoo with its own database for {tenant.name}; it takes about a minute.
        </Text>
      )}
      {unverified && (
        <Alert color="yellow" title="Confirm your email first" role="status">
          <Text size="sm">
            Instances can be created once {me.user.email} is confirmed. Open the link we sent you, or{' '}
            <Anchor component={Link} to="/">
              send a new one from the dashboard
            </Anchor>
            .
          </Text>
        </Alert>
      )}
      <Paper withBorder p={{ base: 'md', sm: 'lg' }}>
        <form onSubmit={form.onSubmit(submit, (errors) => focusFirstError(form, errors))} noValidate>
          <Stack>
            {formError && (
              <Alert color="red" role="alert" title="The instance was not created">
                {formError}
                {billingRefused && (
                  <>
                    {' '}
                    <Anchor component={Link} to="/billing" underline="always">
                      Go to billing
                    </Anchor>
                  </>
                )}
              </Alert>
            )}
            <TextInput
              label="Name"
              description="For you and your team, e.g. your company name. You can use any characters."
              required
              maxLength={80}
              autoFocus
              {...form.getInputProps('name')}
              onChange={(e) => {
                const name = e.currentTarget.value;
                form.setFieldValue('name', name);
                if (!slugEdited) form.setFieldValue('slug', suggestSlug(name));
              }}
            />
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
                  setSlugEdited(true);
                  form.setFieldValue('slug', e.currentTarget.value.toLowerCase().replace(/\s+/g, '-'));
                }}
              />
              <div id="slug-state" aria-live="polite">
                {!form.errors.slug && (
                  <SlugState
                    slug={form.values.slug}
                    pending={Boolean(form.values.slug) && checking}
                    available={slugAvailable}
                    message={availability.data?.message}
                  />
                )}
                {availability.isError && !checking && (
                  <Text size="sm" c="dimmed">
                    Could not check the name right now ({problemMessage(availability.error)}); it is checked again when you create the
                    instance.
                  </Text>
                )}
              </div>
              <Text size="sm" id="slug-address">
                Your Odoo will be at{' '}
                <Text span ff="monospace" fw={600} style={{ wordBreak: 'break-all' }}>
                  {instanceAddress(form.values.slug || 'your-name')}
                </Text>
              </Text>
            </Stack>
            {versions.isError ? (
              <ErrorState title="Could not load the Odoo versions" error={versions.error} onRetry={() => versions.refetch()} />
            ) : (
              <Select
                label="Odoo version"
                required
                allowDeselect={false}
                disabled={versions.isPending}
                placeholder={versions.isPending ? 'Loading versions…' : undefined}
                data={(versions.data ?? []).map((v) => ({
                  value: v.version,
                  label: v.isDefault ? `Odoo ${v.version} (recommended)` : `Odoo ${v.version}`,
                }))}
                nothingFoundMessage="No version is offered right now"
                {...form.getInputProps('version')}
              />
            )}
            <Group justify="flex-end" mt="xs">
              {!first && (
                <Button variant="default" component={Link} to="/instances">
                  Cancel
                </Button>
              )}
              <Button type="submit" loading={create.isPending} disabled={unverified}>
                Create instance
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
