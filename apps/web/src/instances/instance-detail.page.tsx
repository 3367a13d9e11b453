import { Anchor, DataList, Divider, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { formatCpu, formatDateTime, formatMemory, LoadingState, notifySuccess, PageTitle } from '@saas/ui';
import { useEffect } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { InstanceBackups } from '../backups/instance-backups';
import { useCurrentTenant } from '../tenants/current-tenant';
import { AdminCredentials } from './credentials';
import { CustomDomains } from './custom-domains';
import { DeleteInstance } from './delete-instance';
import { HistoryList } from './history-list';
import { InstanceActions } from './instance-actions';
import { useInstanceLive } from './instance-live';
import { InstanceNotFound } from './instance-not-found';
import { isBusy, StatusBadge } from './instance-status';
import { type Instance, useInstance } from './instances.queries';
import { LogsViewer } from './logs-viewer';
import { ProvisioningProgress } from './provisioning-progress';
import { UsageHistory } from './usage-history';
import { UsagePanel, useStatsHistory } from './usage-panel';

const TABS = ['overview', 'usage', 'logs', 'history', 'backups', 'settings'] as const;
type Tab = (typeof TABS)[number];

function Details({ instance }: { instance: Instance }) {
  const { limits } = instance;
  const narrow = useMediaQuery('(max-width: 30em)');
  return (
    <DataList orientation={narrow ? 'vertical' : 'horizontal'} labelWidth={140}>
      <DataList.Item>
        <DataList.ItemLabel>Address</DataList.ItemLabel>
        <DataList.ItemValue style={{ overflowWrap: 'anywhere' }}>{instance.url}</DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Odoo version</DataList.ItemLabel>
        <DataList.ItemValue>{instance.version}</DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Created</DataList.ItemLabel>
        <DataList.ItemValue>{formatDateTime(instance.createdAt)}</DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Ready since</DataList.ItemLabel>
        <DataList.ItemValue>{formatDateTime(instance.readyAt)}</DataList.ItemValue>
      </DataList.Item>
      <DataList.Item>
        <DataList.ItemLabel>Resources</DataList.ItemLabel>
        <DataList.ItemValue>
          {formatMemory(limits.memoryMb)} memory · {formatCpu(limits.cpuMillis)} · {limits.storageGb} GB storage · {limits.workers}{' '}
          {limits.workers === 1 ? 'worker' : 'workers'}
        </DataList.ItemValue>
      </DataList.Item>
    </DataList>
  );
}

export function InstanceDetailPage() {
  const { instanceId = '' } = useParams();
  const { tenant } = useCurrentTenant();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const query = useInstance(instanceId);
  const instance = query.data;
  const busy = Boolean(instance && isBusy(instance));
  const live = useInstanceLive(instanceId, busy);
  const settled = instance?.status === 'running' || instance?.status === 'stopped';
  const stats = useStatsHistory(instanceId, settled);
  const role = tenant?.role ?? 'member';
  const canManage = role === 'owner' || role === 'admin';
  const tab: Tab = TABS.find((t) => t === search.get('tab')) ?? 'overview';

  // Deletion finished: leave the page of an instance that no longer exists.
  const gone = instance?.status === 'deleted';
  useEffect(() => {
    if (gone && instance) {
      notifySuccess(`${instance.name} was deleted.`);
      navigate('/instances', { replace: true });
    }
  }, [gone, instance, navigate]);

  if (query.isPending) return <LoadingState label="Loading the instance…" />;
  if (query.isError) return <InstanceNotFound error={query.error} onRetry={() => query.refetch()} />;
  if (!instance) return null;

  const showProgress = busy || instance.status === 'failed';

  return (
    <Stack gap="md">
      <Text size="sm">
        <Anchor component={Link} to="/instances">
          ← All instances
        </Anchor>
      </Text>
      <PageTitle
        actions={
          <InstanceActions instance={instance} canManage={canManage} onDelete={() => setSearch({ tab: 'settings' }, { replace: true })} />
        }
      >
        <Group component="span" gap="sm" wrap="wrap">
          <span style={{ overflowWrap: 'anywhere' }}>{instance.name}</span>
          <span aria-live="polite" aria-atomic="true">
            <StatusBadge instance={instance} size="lg" />
          </span>
        </Group>
      </PageTitle>
      {showProgress && (
        <Paper withBorder p="md">
          <ProvisioningProgress instance={instance} steps={live.steps} mode={live.mode} />
        </Paper>
      )}
      {!canManage && (
        <Text size="sm" c="dimmed">
          You are a member of {tenant?.name}: you can see this instance, while owners and admins manage it.
        </Text>
      )}
      <Tabs
        value={tab}
        onChange={(t) => setSearch(t && t !== 'overview' ? { tab: t } : {}, { replace: true })}
        keepMounted={false}
        styles={{ tab: { paddingInline: 'var(--mantine-spacing-xs)' } }}
      >
        <Tabs.List style={{ flexWrap: 'nowrap', overflowX: 'auto', overflowY: 'hidden' }} aria-label="Instance sections">
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="usage">Usage</Tabs.Tab>
          <Tabs.Tab value="logs">Logs</Tabs.Tab>
          <Tabs.Tab value="history">History</Tabs.Tab>
          <Tabs.Tab value="backups">Backups</Tabs.Tab>
          <Tabs.Tab value="settings">Settings</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Stack gap="lg">
            <Paper withBorder p="md">
              <Details instance={instance} />
            </Paper>
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                Odoo administrator login
              </Title>
              <AdminCredentials instance={instance} role={role} />
            </Paper>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="usage" pt="md">
          <Stack gap="xl">
            {settled ? (
              <UsagePanel stats={stats} storageLimitGb={instance.limits.storageGb} running={instance.status === 'running'} />
            ) : (
              <Text size="sm" c="dimmed">
                Usage is measured once the instance is running.
              </Text>
            )}
            <UsageHistory instanceId={instance.id} />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="logs" pt="md">
          {!canManage ? (
            <Text size="sm" c="dimmed">
              Only owners and admins can read Odoo’s log.
            </Text>
          ) : settled || instance.status === 'failed' ? (
            <LogsViewer instanceId={instance.id} running={instance.status === 'running'} />
          ) : (
            <Text size="sm" c="dimmed">
              The log is available once Odoo has started.
            </Text>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="md">
          <HistoryList instanceId={instance.id} tenantId={instance.tenantId} />
        </Tabs.Panel>
        <Tabs.Panel value="backups" pt="md">
          <InstanceBackups instance={instance} role={role} />
        </Tabs.Panel>
        <Tabs.Panel value="settings" pt="md">
          <Paper withBorder p="md">
            <Stack gap="lg">
              <CustomDomains instance={instance} canManage={canManage} />
              {canManage && (
                <>
                  <Divider />
                  <DeleteInstance instance={instance} />
                </>
              )}
            </Stack>
          </Paper>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
