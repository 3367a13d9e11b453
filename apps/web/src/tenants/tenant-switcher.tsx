import { Select } from '@mantine/core';
import { useCurrentTenant } from './current-tenant';

/** Shown only when the user belongs to more than one tenant. */
export function TenantSwitcher() {
  const { tenant, tenants, select } = useCurrentTenant();
  if (tenants.length < 2) return null;
  return (
    <Select
      aria-label="Current organization"
      size="sm"
      w={{ base: 130, sm: 220 }}
      allowDeselect={false}
      data={tenants.map((t) => ({ value: t.id, label: t.name }))}
      value={tenant?.id ?? null}
      onChange={(id) => id && select(id)}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
