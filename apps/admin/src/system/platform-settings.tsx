import { Paper, SimpleGrid, Table, Text, Title } from '@mantine/core';
import { QueryView } from '@saas/ui';
import type { ReactNode } from 'react';
import { type PlatformSettingsDto, usePlatformSettings } from './system.queries';

/** Seconds in the largest whole unit that fits: "15 min", "5 min", "30 s". */
function seconds(total: number): string {
  if (total % 86_400 === 0) return `${total / 86_400} ${total === 86_400 ? 'day' : 'days'}`;
  if (total % 3600 === 0) return `${total / 3600} h`;
  if (total % 60 === 0) return `${total / 60} min`;
  return `${total} s`;
}

const yesNo = (on: boolean, yes = 'On', no = 'Off') => (on ? yes : no);
const mono = (value: string) => (
  <Text span size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
    {value}
  </Text>
);

function SettingsGroup({ title, rows }: { title: string; rows: [label: string, value: ReactNode][] }) {
  return (
    <Paper withBorder p="md">
      <Title order={3} size="h4" mb="xs">
        {title}
      </Title>
      <Table verticalSpacing={4} aria-label={`${title} settings`}>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th scope="row" fw={500} w="40%" style={{ verticalAlign: 'top' }}>
                {label}
              </Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

function groups(s: PlatformSettingsDto): [string, [string, ReactNode][]][] {
  return [
    [
      'Domains',
      [
        ['Mode', s.mode],
        ['Public URL', mono(s.domains.publicUrl)],
        ['Admin URL', mono(s.domains.adminUrl)],
        ['Instances', mono(`<slug>.${s.domains.instanceDomain}`)],
        ['Custom domains point at', s.domains.publicIpv4 ? mono(s.domains.publicIpv4) : 'Not set'],
      ],
    ],
    [
      'Edge',
      [
        ['Router', s.edge.router === 'nginx' ? 'nginx' : 'Log only (no proxy)'],
        ['Mode', s.edge.mode === 'remote' ? 'Edge containers, fed through Redis' : 'This machine’s nginx'],
        ['TLS', yesNo(s.edge.tls, 'HTTPS with ACME certificates', 'Plain HTTP')],
        ['Ports', s.edge.tls ? `${s.edge.httpPort} (HTTP), ${s.edge.httpsPort} (HTTPS)` : String(s.edge.httpPort)],
        ...(s.edge.acmeDirectoryUrl ? [['ACME directory', mono(s.edge.acmeDirectoryUrl)] as [string, ReactNode]] : []),
      ],
    ],
    [
      'Billing',
      [
        ['Provider', s.billing.provider === 'stripe' ? 'Stripe' : 'Manual (admins record payments)'],
        ['Currency', s.billing.currency.toUpperCase()],
        ['Default plan', mono(s.billing.defaultPlan)],
        ['Stripe Tax', yesNo(s.billing.stripeTax)],
        ['Grace after a failed payment', `${s.billing.graceDays} days`],
        ['Kept after suspension', `${s.billing.retentionDays} days`],
      ],
    ],
    [
      'Backups',
      [
        ['Storage', s.backups.storage === 's3' ? 'S3-compatible' : 'Local disk'],
        ['Location', mono(s.backups.location)],
        ['Encrypted', yesNo(s.backups.encrypted, 'Yes', 'No')],
        ['Schedule', s.backups.schedule],
        ['Due backups checked every', seconds(s.backups.checkIntervalSeconds)],
        ['Concurrent backups', String(s.backups.concurrency)],
      ],
    ],
    [
      'Security',
      [
        ['Staff two-factor', yesNo(s.security.staffTwoFactor, 'Required', 'Optional')],
        ['Access token lifetime', seconds(s.security.accessTokenTtlSeconds)],
        ['Session lifetime', `${s.security.refreshTokenTtlDays} days`],
        ['Login lock', `after ${s.security.loginLockThreshold} failures, for ${s.security.loginLockMinutes} min`],
        ['Instance egress firewall', yesNo(s.security.egressPolicy)],
        ['Mail', s.mail.transport === 'smtp' ? `SMTP relay, from ${s.mail.from}` : `Logged only, from ${s.mail.from}`],
      ],
    ],
    [
      'Odoo and monitoring',
      [
        ['Odoo versions (seed)', s.odooVersions.map((v) => `${v.version} (${v.image})`).join(', ')],
        ['Prometheus', s.monitoring.prometheusUrl ? mono(s.monitoring.prometheusUrl) : 'Not set'],
        ['Alertmanager', s.monitoring.alertmanagerUrl ? mono(s.monitoring.alertmanagerUrl) : 'Not set'],
      ],
    ],
  ];
}

/** The effective configuration, read-only and without secrets: change it in the environment and restart. */
export function PlatformSettings() {
  const settings = usePlatformSettings();
  return (
    <section aria-labelledby="settings-heading">
      <Title order={2} size="h3" id="settings-heading" mb="xs">
        Platform settings
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        The configuration the API runs with, from its environment (docs/configuration.md). Secrets are never shown. Change a setting in the
        environment and restart the platform.
      </Text>
      <QueryView query={settings} loadingLabel="Loading settings…" empty={null} isEmpty={() => false}>
        {(s) => (
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            {groups(s).map(([title, rows]) => (
              <SettingsGroup key={title} title={title} rows={rows} />
            ))}
          </SimpleGrid>
        )}
      </QueryView>
    </section>
  );
}
