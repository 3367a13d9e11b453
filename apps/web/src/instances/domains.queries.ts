import { type ApiData, isApiProblem, unwrap } from '@saas/api-client';
import { useApi } from '@saas/ui';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

export type CustomDomain = ApiData<'get', '/instances/{instanceId}/domains/{domainId}'>;
export type DomainStatus = CustomDomain['status'];
export type DnsRecord = CustomDomain['dnsRecords'][number];

/** How often a domain is re-read while the worker checks it or obtains its certificate. */
export const DOMAIN_POLL_MS = 2_000;

export const domainKeys = {
  list: (instanceId: string) => ['instances', instanceId, 'domains'] as const,
  one: (instanceId: string, domainId: string) => ['instances', instanceId, 'domains', domainId] as const,
};

/** The worker moves these on by itself: verifying → issuing → active (or failed). */
export const isDomainInProgress = (status: DomainStatus) => status === 'verifying' || status === 'issuing';

function replaceIn(list: CustomDomain[] | undefined, domain: CustomDomain): CustomDomain[] | undefined {
  if (!list) return list;
  return list.some((d) => d.id === domain.id) ? list.map((d) => (d.id === domain.id ? domain : d)) : [...list, domain];
}

export function useDomains(instanceId: string) {
  const api = useApi();
  return useQuery({
    queryKey: domainKeys.list(instanceId),
    queryFn: () => unwrap(api.GET('/instances/{instanceId}/domains', { params: { path: { instanceId } } })),
  });
}

/**
 * Polls one domain every 2 s while it is in progress and writes each answer into the list, which is
 * what the page renders. A domain removed meanwhile (404) reloads the list.
 */
export function useDomainPolling(domain: CustomDomain) {
  const api = useApi();
  const qc = useQueryClient();
  const { instanceId, id: domainId } = domain;
  return useQuery({
    queryKey: domainKeys.one(instanceId, domainId),
    queryFn: async () => {
      try {
        const fresh = await unwrap(api.GET('/instances/{instanceId}/domains/{domainId}', { params: { path: { instanceId, domainId } } }));
        qc.setQueryData<CustomDomain[]>(domainKeys.list(instanceId), (old) => replaceIn(old, fresh));
        return fresh;
      } catch (error) {
        if (isApiProblem(error) && error.status === 404) await qc.invalidateQueries({ queryKey: domainKeys.list(instanceId), exact: true });
        throw error;
      }
    },
    enabled: isDomainInProgress(domain.status),
    refetchInterval: DOMAIN_POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
    gcTime: 0,
  });
}

export function useAddDomain(instanceId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (domain: string) =>
      unwrap(api.POST('/instances/{instanceId}/domains', { params: { path: { instanceId } }, body: { domain } })),
    onSuccess: (added) => qc.setQueryData<CustomDomain[]>(domainKeys.list(instanceId), (old) => replaceIn(old, added)),
    onSettled: () => qc.invalidateQueries({ queryKey: domainKeys.list(instanceId), exact: true }),
  });
}

/** Queues the check (202); the answer is the domain, now `verifying`, which the card then polls. */
export function useVerifyDomain(domain: Pick<CustomDomain, 'instanceId' | 'id'>) {
  const api = useApi();
  const qc = useQueryClient();
  const { instanceId, id: domainId } = domain;
  return useMutation({
    mutationFn: () => unwrap(api.POST('/instances/{instanceId}/domains/{domainId}/verify', { params: { path: { instanceId, domainId } } })),
    onSuccess: (fresh) => qc.setQueryData<CustomDomain[]>(domainKeys.list(instanceId), (old) => replaceIn(old, fresh)),
    // E.g. 409 domain_active: another tab verified it already; show what is true now.
    onError: () => qc.invalidateQueries({ queryKey: domainKeys.list(instanceId), exact: true }),
  });
}

export function useRemoveDomain(domain: Pick<CustomDomain, 'instanceId' | 'id'>) {
  const api = useApi();
  const qc = useQueryClient();
  const { instanceId, id: domainId } = domain;
  return useMutation({
    mutationFn: () => unwrap(api.DELETE('/instances/{instanceId}/domains/{domainId}', { params: { path: { instanceId, domainId } } })),
    onSuccess: () => qc.setQueryData<CustomDomain[]>(domainKeys.list(instanceId), (old) => old?.filter((d) => d.id !== domainId)),
    onSettled: () => qc.invalidateQueries({ queryKey: domainKeys.list(instanceId), exact: true }),
  });
}
