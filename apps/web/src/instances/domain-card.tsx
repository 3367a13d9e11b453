import { Alert, Anchor, Box, Button, Center, Code, Group, List, Loader, Paper, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import { ConfirmButton, formatDate, formatDateTime, notifyError } from '@saas/ui';
import { useEffect, useRef, useState } from 'react';
import { DnsRecords } from './dns-records';
import { DomainStatusBadge, describeFailure } from './domain-status';
import { type CustomDomain, isDomainInProgress, useDomainPolling, useRemoveDomain, useVerifyDomain } from './domains.queries';
import { withWrapPoints } from './wrap-points';

const DAY_MS = 86_400_000;

function StepIcon({ state }: { state: 'done' | 'current' | 'todo' }) {
  if (state === 'current') return <Loader size={14} color="blue.9" aria-hidden />;
  return (
    <svg width="14" height="14" viewBox="0 0 24 24" fill="none" strokeWidth="3" aria-hidden="true">
      <title>{state}</title>
      {state === 'done' ? (
        <path d="M4 12l5 5L20 6" stroke="var(--mantine-color-teal-9)" />
      ) : (
        <circle cx="12" cy="12" r="8" stroke="var(--mantine-color-gray-5)" strokeWidth="2" />
      )}
    </svg>
  );
}

/** Where the worker is: the HTTP check, then (with TLS) the certificate, then routing. */
function Progress({ domain }: { domain: CustomDomain }) {
  const issuing = domain.status === 'issuing';
  const steps = [
    { label: `Checking that ${domain.domain} reaches this platform`, state: issuing ? 'done' : 'current' },
    { label: 'Obtaining the certificate from the certificate authority', state: issuing ? 'current' : 'todo' },
    { label: 'Serving the domain', state: 'todo' },
  ] as const;
  const spoken = { done: 'done', current: 'in progress', todo: 'to do' } as const;
  return (
    <Stack gap={6}>
      <Box component="ol" m={0} p={0} style={{ listStyle: 'none' }}>
        {steps.map((s) => (
          <Group component="li" key={s.label} gap="xs" wrap="nowrap" align="center" py={2}>
            <Center w={16} h={16} style={{ flex: 'none' }}>
              <StepIcon state={s.state} />
            </Center>
            <Text size="sm" fw={s.state === 'current' ? 600 : undefined} c={s.state === 'todo' ? 'dimmed' : undefined}>
              {s.label}
              <VisuallyHidden> ({spoken[s.state]})</VisuallyHidden>
            </Text>
          </Group>
        ))}
      </Box>
      <Text size="xs" c="dimmed">
        Updated every 2 seconds{domain.verifiedAt ? ` · verified ${formatDateTime(domain.verifiedAt)}` : ''}. This usually takes under a
        minute and carries on if you leave the page.
      </Text>
    </Stack>
  );
}

function Failure({ domain }: { domain: CustomDomain }) {
  const error = domain.lastError ?? 'The platform did not record a cause.';
  const failure = describeFailure(error);
  return (
    <Alert
      color="red"
      variant="light"
      title={failure.stage === 'certificate' ? 'The certificate could not be obtained' : 'The domain could not be verified'}
    >
      <Stack gap="xs">
        <Code block fz="sm" p="xs" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} c="red.9" bg="white">
          {withWrapPoints(error)}
        </Code>
        {failure.acmeType && (
          <Text size="sm">
            Error type: <Code style={{ overflowWrap: 'anywhere' }}>{withWrapPoints(failure.acmeType)}</Code>
          </Text>
        )}
        <Text size="xs" c="dimmed">
          {domain.lastCheckedAt ? `Checked ${formatDateTime(domain.lastCheckedAt)}.` : ''} Fix the cause, then verify again.
        </Text>
        <Text size="sm" fw={600}>
          What to check
        </Text>
        <List size="sm" spacing={4}>
          {failure.hints.map((h, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list built per render
            <List.Item key={i}>{h}</List.Item>
          ))}
        </List>
      </Stack>
    </Alert>
  );
}

function CertificateLine({ domain }: { domain: CustomDomain }) {
  if (domain.status !== 'active') return null;
  const expires = domain.certificateExpiresAt;
  if (!expires) {
    return (
      <Text size="sm" c="dimmed">
        Served since {formatDateTime(domain.activatedAt)}.
      </Text>
    );
  }
  const days = Math.max(0, Math.floor((Date.parse(expires) - Date.now()) / DAY_MS));
  return (
    <Text size="sm">
      Certificate valid until <strong>{formatDate(expires)}</strong> ({days} {days === 1 ? 'day' : 'days'} left) · renewed automatically 30
      days before it expires.
    </Text>
  );
}

export interface DomainCardProps {
  domain: CustomDomain;
  canManage: boolean;
  /** Move keyboard focus here on mount (a domain just added). */
  focusOnMount?: boolean;
  /** After removal, with the domain's name (the section moves focus and announces it). */
  onRemoved: (domain: string) => void;
}

/** One custom domain: status, what to do next, and (for owners and admins) verify and remove. */
export function DomainCard({ domain, canManage, focusOnMount, onRemoved }: DomainCardProps) {
  useDomainPolling(domain);
  const verify = useVerifyDomain(domain);
  const remove = useRemoveDomain(domain);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const headingId = `domain-${domain.id}`;

  useEffect(() => {
    if (focusOnMount) headingRef.current?.focus();
  }, [focusOnMount]);

  const inProgress = isDomainInProgress(domain.status);
  const needsDns = domain.status === 'pending_dns' || domain.status === 'failed';
  // A certificate failure comes after the domain was verified: its DNS record is fine, so it is folded away.
  const dnsVerified = domain.status === 'failed' && describeFailure(domain.lastError ?? '').stage === 'certificate';
  const [showDns, setShowDns] = useState(false);
  const dnsPanelId = `domain-${domain.id}-dns`;
  const scheme = domain.certificateExpiresAt ? 'https' : 'http';

  const runVerify = () =>
    verify.mutate(undefined, {
      // The button goes away while the check runs: keep focus in the card.
      onSuccess: () => headingRef.current?.focus(),
      onError: (e) => notifyError(e, `Could not verify ${domain.domain}`),
    });

  return (
    <Paper component="li" withBorder p="sm">
      <Stack gap="sm">
        <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
          <Title
            order={4}
            size="h5"
            id={headingId}
            ref={headingRef}
            tabIndex={-1}
            style={{ overflowWrap: 'anywhere', minWidth: 0, flex: '1 1 12rem' }}
          >
            {domain.status === 'active' ? (
              <Anchor href={`${scheme}://${domain.domain}`} target="_blank" rel="noopener noreferrer" inherit>
                {domain.domain}
                <VisuallyHidden> (opens in a new tab)</VisuallyHidden>
              </Anchor>
            ) : (
              domain.domain
            )}
          </Title>
          <DomainStatusBadge status={domain.status} />
        </Group>

        <CertificateLine domain={domain} />
        {inProgress && <Progress domain={domain} />}
        {domain.status === 'failed' && <Failure domain={domain} />}
        {domain.status === 'pending_dns' && (
          <Text size="sm">
            Next: create the DNS record below{canManage ? ', then choose “Verify now”' : '; an owner or admin then verifies the domain'}.
          </Text>
        )}
        {dnsVerified && (
          <Anchor
            component="button"
            type="button"
            size="sm"
            w="fit-content"
            onClick={() => setShowDns((v) => !v)}
            aria-expanded={showDns}
            aria-controls={dnsPanelId}
          >
            {showDns ? 'Hide the DNS records' : 'Show the DNS records'}
          </Anchor>
        )}
        {needsDns && (!dnsVerified || showDns) && (
          <Stack gap="xs" id={dnsPanelId}>
            <DnsRecords records={domain.dnsRecords} domain={domain.domain} />
            <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
              To verify, the platform fetches <Code fz="xs">{withWrapPoints(domain.verification.url)}</Code> through your domain on port 80.
            </Text>
          </Stack>
        )}

        {canManage && (
          <Group gap="xs" wrap="wrap">
            {needsDns && (
              <Button size="xs" onClick={runVerify} loading={verify.isPending}>
                {domain.status === 'failed' ? 'Verify again' : 'Verify now'}
              </Button>
            )}
            <ConfirmButton
              title={`Remove ${domain.domain}?`}
              message={
                domain.status === 'active'
                  ? `${domain.domain} stops reaching this Odoo right away and its certificate is deleted. The instance stays reachable at its own address.`
                  : `${domain.domain} is removed from this instance. You can add it again later.`
              }
              confirmLabel="Remove domain"
              aria-label={`Remove ${domain.domain}`}
              color="red.9"
              variant="outline"
              onConfirm={async () => {
                await remove.mutateAsync();
                onRemoved(domain.domain);
              }}
            >
              Remove
            </ConfirmButton>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
