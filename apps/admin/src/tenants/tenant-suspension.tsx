import { Alert, Group, Text } from '@mantine/core';
import { formatDateTime, notifySuccess } from '@saas/ui';
import { useIsPlatformAdmin } from '../app-layout';
import { ReasonButton } from '../users/reason-button';
import { type AdminTenantDetail, useTenantSuspension } from './tenants.queries';

/**
 * The operator's suspension of a tenant: shown when in force, with the button to suspend or resume it
 * (platform admins only). Suspending stops every instance and makes their addresses serve the
 * suspended page; the owner is mailed either way.
 */
export function TenantSuspension({ tenant }: { tenant: AdminTenantDetail }) {
  const canEdit = useIsPlatformAdmin();
  const { suspend, resume } = useTenantSuspension(tenant.id);
  const suspension = tenant.operatorSuspension;
  const live = tenant.instances.filter((i) => i.status !== 'deleting').length;

  return (
    <>
      {suspension && (
        <Alert color="red" variant="light" title="Suspended by an operator" role="status" mb="sm">
          <Text size="sm">
            Since {formatDateTime(suspension.at)}. Reason: {suspension.reason}
          </Text>
        </Alert>
      )}
      {/* A deleted tenant can no longer be suspended or resumed (the API answers 409 tenant_deleted). */}
      {canEdit && !tenant.deletion && (
        <Group gap="xs">
          {suspension ? (
            <ReasonButton
              color="teal"
              title={`Resume ${tenant.name}`}
              message={`Its instances go back to what their owners wanted (running instances start again) and the owner is told by mail.`}
              confirmLabel="Resume tenant"
              withReason={false}
              onConfirm={async (reason) => {
                const result = await resume.mutateAsync(reason);
                notifySuccess(`Its instances are coming back (${result.enforcement}).`, `${tenant.name} resumed`);
              }}
            >
              Resume tenant
            </ReasonButton>
          ) : (
            <ReasonButton
              title={`Suspend ${tenant.name}`}
              message={`Its ${live} instance(s) stop and their addresses show a “suspended” page until you resume it. The owner is told by mail, with your reason.`}
              confirmLabel="Suspend tenant"
              onConfirm={async (reason) => {
                const result = await suspend.mutateAsync(reason);
                notifySuccess(`Its instances are stopping (${result.enforcement}).`, `${tenant.name} suspended`);
              }}
            >
              Suspend tenant
            </ReasonButton>
          )}
        </Group>
      )}
    </>
  );
}
