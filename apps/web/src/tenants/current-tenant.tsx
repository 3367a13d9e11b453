import { type Me, useSession } from '@saas/ui';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';

export type TenantMembership = Me['tenants'][number];

const STORAGE_KEY = 'saas.currentTenantId';

interface CurrentTenantValue {
  tenant: TenantMembership | null;
  tenants: TenantMembership[];
  select: (tenantId: string) => void;
}

const CurrentTenantContext = createContext<CurrentTenantValue | null>(null);

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Makes `tenantId` the current tenant on the next render of the provider (e.g. after accepting an invitation). */
export function rememberTenant(tenantId: string): void {
  try {
    localStorage.setItem(STORAGE_KEY, tenantId);
  } catch {
    // Storage unavailable: the switcher still works for this page.
  }
}

/** The tenant the user is working in; the choice survives reloads via localStorage. */
export function CurrentTenantProvider({ children }: { children: ReactNode }) {
  const { me } = useSession();
  const [storedId, setStoredId] = useState(readStored);
  const tenants = me?.tenants ?? [];
  // Fall back to the first membership when the stored one is gone (removed, transferred).
  const tenant = tenants.find((t) => t.id === storedId) ?? tenants[0] ?? null;

  const select = useCallback((tenantId: string) => {
    setStoredId(tenantId);
    rememberTenant(tenantId);
  }, []);

  const value = useMemo(() => ({ tenant, tenants, select }), [tenant, tenants, select]);
  return <CurrentTenantContext.Provider value={value}>{children}</CurrentTenantContext.Provider>;
}

export function useCurrentTenant(): CurrentTenantValue {
  const ctx = useContext(CurrentTenantContext);
  if (!ctx) throw new Error('CurrentTenantProvider is missing');
  return ctx;
}
