import { Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { EmptyState, formatDate, formatDateTime, QueryTable } from '@saas/ui';
import { badgeStyles } from '../shared/badge-styles';
import { type Certificate, useCertificates } from './system.queries';

function ExpiryBadge({ cert }: { cert: Certificate }) {
  if (cert.daysLeft < 0) {
    return (
      <Badge color="red.9" variant="filled" styles={badgeStyles}>
        Expired
      </Badge>
    );
  }
  if (cert.nearExpiry) {
    return (
      <Badge color="orange" c="orange.9" variant="light" styles={badgeStyles}>
        {cert.daysLeft === 0 ? 'Expires today' : `Expires in ${cert.daysLeft} ${cert.daysLeft === 1 ? 'day' : 'days'}`}
      </Badge>
    );
  }
  return <Text size="sm">in {cert.daysLeft} days</Text>;
}

export function Certificates() {
  const certs = useCertificates();
  const attention = certs.data?.filter((c) => c.nearExpiry || c.status === 'renewal_failed').length ?? 0;

  return (
    <section aria-labelledby="certificates-heading">
      <Group gap="sm" mb="xs">
        <Title order={2} size="h3" id="certificates-heading">
          Certificates
        </Title>
        {attention > 0 && (
          <Badge color="orange" c="orange.9" variant="light" styles={badgeStyles}>
            {attention} need attention
          </Badge>
        )}
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        Certificates the platform obtained for itself and for custom domains, soonest expiry first. They renew automatically before they
        expire.
      </Text>
      <Paper withBorder p="md">
        <QueryTable
          query={certs}
          loadingLabel="Loading certificates…"
          keepDataOnError
          empty={<EmptyState title="No certificates" description="None has been issued yet (local mode serves plain HTTP)." />}
          label="Certificates table"
          minWidth={860}
          striped
          columns={['Domains', 'Expires', 'Renewal', 'Kind', 'Issuer']}
        >
          {(c) => (
            <Table.Tr key={c.id}>
              <Table.Td>
                <Stack gap={0}>
                  {c.domains.map((d) => (
                    <Text key={d} size="sm" ff="monospace">
                      {d}
                    </Text>
                  ))}
                  {/* The name repeats the domain for custom domains; show it only when it says more. */}
                  {c.name !== c.domains[0] && (
                    <Text size="xs" c="dimmed">
                      {c.name}
                    </Text>
                  )}
                </Stack>
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Text size="sm">{formatDate(c.notAfter)}</Text>
                <ExpiryBadge cert={c} />
              </Table.Td>
              <Table.Td>
                {c.status === 'renewal_failed' ? (
                  <>
                    <Badge color="red.9" variant="filled" styles={badgeStyles}>
                      Renewal failed
                    </Badge>
                    {c.lastError && (
                      <Text size="xs" c="red.9" mt={4} style={{ wordBreak: 'break-word' }}>
                        {c.lastError}
                      </Text>
                    )}
                    <Text size="xs" c="dimmed">
                      Last attempt {formatDateTime(c.lastAttemptAt)}
                    </Text>
                  </>
                ) : (
                  <Text size="sm">OK</Text>
                )}
              </Table.Td>
              <Table.Td>{c.kind === 'platform' ? 'Platform' : 'Custom domain'}</Table.Td>
              <Table.Td>
                <Text size="sm">{c.issuer}</Text>
              </Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </section>
  );
}
