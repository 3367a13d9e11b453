import { Alert, Anchor, Button, Group, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { EmptyState, ErrorState, focusFirstError, PageTitle, useSession } from '@saas/ui';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useCurrentTenant } from '../tenants/current-tenant';
import { suggestSlug } from './instance-address';
import { useCreateInstance, useInstances, useOdooVersions } from './instances.queries';
import { OnboardingSteps } from './onboarding-steps';
import { type CreateRefusal, CreateRefusedAlert, createRefusal, refuseUnavailableSlug, SlugField, useSlugCheck } from './slug-field';

export function CreateInstancePage() {
  const { me } = useSession();
  const { tenant } = useCurrentTenant();
  const navigate = useNavigate();
  const instances = useInstances(tenant?.id);
  const versions = useOdooVersions();
  const create = useCreateInstance(tenant?.id ?? '');
  const [slugEdited, setSlugEdited] = useState(false);
  // A billing refusal (402 subscription_required / tenant_suspended) offers the way there.
  const [refusal, setRefusal] = useState<CreateRefusal | null>(null);

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

  const slugCheck = useSlugCheck(form.values.slug);

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
    setRefusal(null);
    if (refuseUnavailableSlug(form, slugCheck)) return;
    try {
      const instance = await create.mutateAsync({ name: values.name.trim(), slug: values.slug, version: values.version || undefined });
      navigate(`/instances/${instance.id}/setup`);
    } catch (e) {
      setRefusal(createRefusal(form, e));
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
            <CreateRefusedAlert title="The instance was not created" refusal={refusal} />
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
            <SlugField
              form={form}
              check={slugCheck}
              ids={{ state: 'slug-state', address: 'slug-address' }}
              addressLead="Your Odoo will be at"
              onEdited={() => setSlugEdited(true)}
            />
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
