import { Badge, Button, Group, Paper, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { ConfirmButton, EmptyState, notifySuccess, PageTitle, QueryTable } from '@saas/ui';
import { useState } from 'react';
import { useIsPlatformAdmin } from '../app-layout';
import { badgeStyles } from '../shared/badge-styles';
import { ReadOnlyHint } from '../shared/read-only-hint';
import { OdooVersionForm } from './odoo-version-form';
import { type OdooVersion, useOdooVersions, useRebuildTemplate } from './odoo-versions.queries';

function TemplateBadge({ status }: { status: string | null }) {
  switch (status) {
    case 'ready':
      return (
        <Badge color="teal.9" variant="filled" styles={badgeStyles}>
          ready
        </Badge>
      );
    case 'building':
      return (
        <Badge color="blue" c="blue.9" variant="light" styles={badgeStyles}>
          building
        </Badge>
      );
    case 'failed':
      return (
        <Badge color="red.9" variant="filled" styles={badgeStyles}>
          failed
        </Badge>
      );
    case null:
      return (
        <Text size="sm" c="dimmed">
          none
        </Text>
      );
    default:
      return (
        <Badge variant="outline" styles={badgeStyles}>
          {status}
        </Badge>
      );
  }
}

export function OdooVersionsPage() {
  const [watchUntil, setWatchUntil] = useState(0);
  const versions = useOdooVersions(watchUntil);
  const watchTemplates = () => setWatchUntil(Date.now() + 60_000);
  const rebuild = useRebuildTemplate();
  const canEdit = useIsPlatformAdmin();
  const [editing, setEditing] = useState<OdooVersion | null>(null);
  const [formOpened, form] = useDisclosure(false);

  function openForm(version: OdooVersion | null) {
    setEditing(version);
    form.open();
  }

  return (
    <>
      <PageTitle actions={canEdit && <Button onClick={() => openForm(null)}>Add version</Button>}>Odoo versions</PageTitle>
      <ReadOnlyHint />
      <Text size="sm" c="dimmed" mb="md" maw={720}>
        New instances are cloned from a version’s template, a database initialized once with its image. Without a ready template they are
        initialized from scratch, which takes longer.
      </Text>
      <Paper withBorder p="md">
        <QueryTable
          query={versions}
          loadingLabel="Loading versions…"
          keepDataOnError
          empty={
            <EmptyState
              title="No versions in the catalog"
              description="Tenants cannot create instances until a version is added."
              action={canEdit && <Button onClick={() => openForm(null)}>Add version</Button>}
            />
          }
          label="Odoo versions"
          minWidth={720}
          striped
          columns={['Version', 'Template', 'Offered', 'Image', canEdit && 'Actions']}
        >
          {(v) => (
            <Table.Tr key={v.version}>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Text size="sm" fw={500}>
                    {v.version}
                  </Text>
                  {v.isDefault && (
                    <Badge color="indigo" variant="outline" size="sm" styles={badgeStyles}>
                      Default
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                <TemplateBadge status={v.templateStatus} />
              </Table.Td>
              <Table.Td>
                {v.enabled ? (
                  <Text size="sm">Yes</Text>
                ) : (
                  <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                    No{' '}
                    <Text span size="xs" c="dimmed">
                      (hidden from tenants)
                    </Text>
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {v.image}
                </Text>
              </Table.Td>
              {canEdit && (
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button variant="default" size="xs" onClick={() => openForm(v)} aria-label={`Edit Odoo ${v.version}`}>
                      Edit
                    </Button>
                    <ConfirmButton
                      color="indigo"
                      aria-label={`Rebuild template of Odoo ${v.version}`}
                      title={`Rebuild the template of Odoo ${v.version}?`}
                      message={`The worker initializes a new template database from ${v.image}. Running instances are not affected; new ones are initialized from scratch until it is ready.`}
                      confirmLabel="Rebuild"
                      disabled={v.templateStatus === 'building'}
                      onConfirm={async () => {
                        await rebuild.mutateAsync(v.version);
                        watchTemplates();
                        notifySuccess('The template rebuild is queued.', `Odoo ${v.version}`);
                      }}
                    >
                      Rebuild template
                    </ConfirmButton>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          )}
        </QueryTable>
      </Paper>
      <OdooVersionForm version={editing} opened={formOpened} onClose={form.close} onSaved={watchTemplates} />
    </>
  );
}
