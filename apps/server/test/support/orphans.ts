import Docker from 'dockerode';
import pg from 'pg';
import type { Config } from '../../src/config/config.js';
import { instanceGroupRole, instanceNames, LABELS } from '../../src/instances/instance-names.js';

/**
 * What the platform holds outside its database that no live instance explains: containers, networks,
 * volumes, databases and roles of this platform (its RESOURCE_PREFIX), and `live` instances missing theirs.
 * Each line names one; the scan also checks it saw one of each per live instance, so it cannot pass by seeing nothing.
 */
export async function orphanedResources(config: Config, live: { id: string; status: string }[]): Promise<string[]> {
  const { resourcePrefix, dockerSocket, tenantDbAdminUrl } = config;
  const expected = new Map(live.map((i) => [i.id, instanceNames(resourcePrefix, i.id)]));
  const found: string[] = [];
  const engine = new Docker({ socketPath: dockerSocket });
  const filters = { label: [`${LABELS.platform}=${resourcePrefix}`] };
  const seen = { container: new Set<string>(), network: new Set<string>(), volume: new Set<string>() };
  const account = (kind: keyof typeof seen, name: string, labels: Record<string, string> | undefined) => {
    const id = labels?.[LABELS.instance] ?? '';
    const names = expected.get(id);
    const own = names ? names[kind] : undefined;
    if (!own || own !== name || seen[kind].has(id)) found.push(`${kind} ${name}`);
    else seen[kind].add(id);
  };
  for (const c of await engine.listContainers({ all: true, filters }))
    account('container', (c.Names[0] ?? '').replace(/^\//, ''), c.Labels);
  for (const n of await engine.listNetworks({ filters })) account('network', n.Name, n.Labels);
  for (const v of (await engine.listVolumes({ filters })).Volumes ?? []) account('volume', v.Name, v.Labels);

  const client = new pg.Client({ connectionString: tenantDbAdminUrl });
  await client.connect();
  try {
    const pattern = `${resourcePrefix}\\_%`;
    const dbs = (await client.query('select datname as name from pg_database where datname like $1', [pattern])).rows as { name: string }[];
    // The instance group (the NOLOGIN role pg_hba admits) is the platform's, not an instance's.
    const roles = (
      await client.query('select rolname as name from pg_roles where rolname like $1 and rolname <> $2', [
        pattern,
        instanceGroupRole(resourcePrefix),
      ])
    ).rows as { name: string }[];
    const liveDbs = new Set([...expected.values()].map((n) => n.db));
    for (const { name } of dbs) if (!liveDbs.has(name)) found.push(`database ${name}`);
    for (const { name } of roles) if (!liveDbs.has(name)) found.push(`role ${name}`);
    // A running instance has all of its own.
    for (const instance of live.filter((i) => i.status === 'running')) {
      const names = expected.get(instance.id);
      if (!names) continue;
      if (!seen.container.has(instance.id)) found.push(`instance ${instance.id} has no container`);
      if (!dbs.some((d) => d.name === names.db)) found.push(`instance ${instance.id} has no database`);
    }
    // The scan saw what it should: one of each per live instance (0 after the final deletions).
    const counts = {
      container: seen.container.size,
      network: seen.network.size,
      volume: seen.volume.size,
      database: dbs.length,
      role: roles.length,
    };
    for (const [kind, n] of Object.entries(counts)) if (n !== live.length) found.push(`${n} ${kind}s for ${live.length} live instances`);
  } finally {
    await client.end();
  }
  return found;
}
