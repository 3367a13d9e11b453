import { Anchor, Badge, Group, Paper, Table, Text, Title } from '@mantine/core';
import { formatDate, QueryTable, SearchField, useSearchTerm } from '@saas/ui';
import { Link } from 'react-router';
import { PAGE_SIZE } from '../config';
import { badgeStyles } from '../shared/badge-styles';
import { StatusBadge, type StatusLook } from '../shared/status-badge';
import { FilteredEmptyState, rawStatusOptions, StatusFilter, useStatusParams } from '../shared/status-filter';
import { type EdgeRoute, isRouteState, ROUTE_STATES, useEdgeRoutes } from './system.queries';

const STATE_LOOK: Record<EdgeRoute['state'], StatusLook> = {
  active: { color: 'teal', busy: false },
  provisioning: { color: 'blue', busy: true },
  stopped: { color: 'gray', busy: false },
  failed: { color: 'red', busy: false },
  suspended: { color: 'orange', busy: false },
};

const CERTIFICATE_TEXT: Record<EdgeRoute['certificate']['status'], { label: string; color: string | null }> = {
  valid: { label: 'Valid', color: null },
  expiring: { label: 'Expiring soon', color: 'orange' },
  expired: { label: 'Expired', color: 'red' },
  renewal_failed: { label: 'Renewal failed', color: 'red' },
  missing: { label: 'Missing', color: 'red' },
  not_used: { label: 'Plain HTTP', color: null },
};

function CertificateCell({ cert }: { cert: EdgeRoute['certificate'] }) {
  const { label, color } = CERTIFICATE_TEXT[cert.status];
  return (
    <>
      {color ? (
        <Badge color={`${color}.9`} variant="filled" styles={badgeStyles}>
          {label}
        </Badge>
      ) : (
        <Text size="sm">{label}</Text>
      )}
      {cert.notAfter && (
        <Text size="xs" c="dimmed">
          until {formatDate(cert.notAfter)}
          {cert.name?.startsWith('_wildcard.') ? ' (wildcard)' : ''}
        </Text>
      )}
    </>
  );
}

/** Every host name the edge routes, with what it serves (Odoo or a status page) and its certificate. */
export function EdgeRoutes() {
  const { params, offset, update, setOffset, status: state, setStatus } = useStatusParams(isRouteState);
  const text = params.get('q') ?? '';
  const q = useSearchTerm(text);
  const routes = useEdgeRoutes({ q, state, limit: PAGE_SIZE, offset });

  return (
    <section aria-labelledby="edge-routes-heading">
      <Title order={2} size="h3" id="edge-routes-heading" mb="xs">
        Edge routes
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Each instance answers at its subdomain and its active custom domains. Only active routes reach Odoo; the others get the platform’s
        status page.
      </Text>
      <Paper withBorder p="md">
        <Group align="flex-end" mb="md" wrap="wrap">
          <SearchField
            label="Host or instance"
            placeholder="e.g. acme"
            value={text}
            onChange={(v) => update({ q: v, offset: '' })}
            w={260}
          />
          <StatusFilter status={state} onChange={setStatus} allLabel="All states" options={rawStatusOptions(ROUTE_STATES)} />
        </Group>
        <QueryTable
          query={routes}
          keepDataOnError
          empty={
            <FilteredEmptyState
              title="No routes"
              description={q || state ? 'No route matches these filters.' : 'No instance is routed yet.'}
              onShowAll={state && (() => setStatus(undefined))}
            />
          }
          label="Edge routes table"
          minWidth={820}
          striped
          columns={['Host', 'Instance', 'State', 'Certificate']}
          paging={{ limit: PAGE_SIZE, offset, onChange: setOffset }}
        >
          {(r) => (
            <Table.Tr key={r.host}>
              <Table.Td>
                <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {r.host}
                </Text>
                <Text size="xs" c="dimmed">
                  {r.kind === 'subdomain' ? 'Subdomain' : 'Custom domain'}
                </Text>
              </Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/instances/${r.instance.id}`} size="sm">
                  {r.instance.name}
                </Anchor>
                <Text size="xs" c="dimmed" ff="monospace">
                  {r.instance.slug}
                </Text>
              </Table.Td>
              <Table.Td>
                <StatusBadge status={r.state} look={STATE_LOOK[r.state]} />
              </Table.Td>
              <Table.Td>
                <CertificateCell cert={r.certificate} />
              </Table.Td>
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
    </section>
  );
}
