import { Button, Stack, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useForm } from '@mantine/form';
import { isApiProblem } from '@saas/api-client';
import { applyProblemToForm, ErrorState, focusFirstError, LoadingState } from '@saas/ui';
import { useEffect, useRef, useState } from 'react';
import { DomainCard } from './domain-card';
import { domainStatusLabel } from './domain-status';
import { type CustomDomain, type DomainStatus, useAddDomain, useDomains } from './domains.queries';
import type { Instance } from './instances.queries';

// Refusals the API answers without a field (409) that are still about the name typed.
const FIELD_CONFLICTS = new Set(['domain_taken', 'domain_limit_reached']);

function AddDomainForm({ instanceId, onAdded }: { instanceId: string; onAdded: (domain: CustomDomain) => void }) {
  const add = useAddDomain(instanceId);
  const form = useForm({
    mode: 'uncontrolled',
    initialValues: { domain: '' },
    // Only emptiness is checked here: what makes a valid name is the API's rule, shown under the field.
    validate: { domain: (v) => (v.trim() ? null : 'Enter a domain name such as erp.example.com.') },
  });

  return (
    <form
      noValidate
      onSubmit={form.onSubmit(
        ({ domain }) =>
          add.mutate(domain, {
            onSuccess: (added) => {
              form.reset();
              onAdded(added);
            },
            onError: (e) => {
              if (isApiProblem(e) && FIELD_CONFLICTS.has(e.code)) {
                form.setErrors({ domain: e.detail });
                focusFirstError(form, { domain: e.detail });
              } else applyProblemToForm(form, e);
            },
          }),
        (errors) => focusFirstError(form, errors),
      )}
    >
      <Stack gap="xs" maw={520}>
        <TextInput
          label="Domain name"
          description="A name you control, such as erp.example.com. Up to 5 per instance."
          placeholder="erp.example.com"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          inputMode="url"
          key={form.key('domain')}
          {...form.getInputProps('domain')}
        />
        <Button type="submit" loading={add.isPending} w="fit-content">
          Add domain
        </Button>
      </Stack>
    </form>
  );
}

/** What a screen reader hears when a domain changes status while the page is open. */
function announcement(d: CustomDomain): string {
  if (d.status === 'failed') return `${d.domain} failed: ${d.lastError ?? 'no cause recorded'}`;
  if (d.status === 'active') return `${d.domain} is active.`;
  return `${d.domain}: ${domainStatusLabel(d.status)}.`;
}

/** Custom domains of an instance: list with status, DNS instructions, verification; add and remove for owners and admins. */
export function CustomDomains({ instance, canManage }: { instance: Instance; canManage: boolean }) {
  const domains = useDomains(instance.id);
  const [message, setMessage] = useState('');
  const [justAdded, setJustAdded] = useState<string | null>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const seen = useRef<Map<string, DomainStatus> | null>(null);

  // Announce status changes that happen while the page is open (not the ones found on load).
  useEffect(() => {
    const list = domains.data;
    if (!list) return;
    const before = seen.current;
    seen.current = new Map(list.map((d) => [d.id, d.status]));
    if (!before) return;
    const changed = list.filter((d) => before.has(d.id) && before.get(d.id) !== d.status);
    if (changed.length > 0) setMessage(changed.map(announcement).join(' '));
  }, [domains.data]);

  const open = instance.status !== 'deleting' && instance.status !== 'deleted';

  return (
    <section aria-labelledby="custom-domains-title">
      <Title order={3} size="h4" id="custom-domains-title" mb={4} ref={titleRef} tabIndex={-1}>
        Custom domains
      </Title>
      <Text size="sm" mb="md">
        Serve this Odoo at your own domain as well as at <span style={{ overflowWrap: 'anywhere' }}>{instance.url}</span>. The platform
        checks that the domain reaches it, then obtains and renews its certificate.
      </Text>
      <VisuallyHidden role="status" aria-live="polite" aria-atomic="true">
        {message}
      </VisuallyHidden>

      {domains.isPending ? (
        <LoadingState label="Loading the domains…" />
      ) : domains.isError ? (
        <ErrorState title="Could not load the domains" error={domains.error} onRetry={() => domains.refetch()} />
      ) : (
        <Stack gap="lg">
          {domains.data.length === 0 ? (
            <Text size="sm" c="dimmed">
              No custom domains yet.
            </Text>
          ) : (
            <Stack component="ul" gap="sm" m={0} p={0} style={{ listStyle: 'none' }} aria-label="Custom domains">
              {domains.data.map((d) => (
                <DomainCard
                  key={d.id}
                  domain={d}
                  canManage={canManage}
                  focusOnMount={d.id === justAdded}
                  onRemoved={(name) => {
                    setMessage(`${name} was removed.`);
                    // After the confirmation dialog has returned focus to a button that no longer exists.
                    setTimeout(() => titleRef.current?.focus(), 0);
                  }}
                />
              ))}
            </Stack>
          )}
          {canManage && open && (
            <div>
              <Title order={4} size="h5" mb="xs">
                Add a domain
              </Title>
              <AddDomainForm
                instanceId={instance.id}
                onAdded={(d) => {
                  setJustAdded(d.id);
                  setMessage(`${d.domain} added. Create the DNS record shown for it, then verify.`);
                }}
              />
            </div>
          )}
          {!canManage && (
            <Text size="sm" c="dimmed">
              Owners and admins of your organization add, verify and remove domains.
            </Text>
          )}
        </Stack>
      )}
    </section>
  );
}
