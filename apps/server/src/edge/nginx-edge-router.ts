import { chmod, mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { CertificateStore } from './certificate-store.js';
import { assertInstanceId, assertToken, EdgeInputError, isHostname } from './edge-names.js';
import { type EdgePaths, edgePaths } from './edge-paths.js';
import {
  type ChallengeKind,
  challengePath,
  type EdgeApplyResult,
  EdgeConfigError,
  type EdgeLog,
  type EdgeRouter,
  EdgeSyncError,
  type InstanceRoute,
} from './edge-router.js';
import { type EdgeSettings, validateSettings } from './edge-settings.js';
import { type PlatformCerts, renderPlatformFiles } from './nginx-config.js';
import type { TlsCert } from './nginx-directives.js';
import { renderInstanceConf } from './nginx-instance-config.js';
import { nginxMasterPid, reloadNginx, testNginxConfig } from './nginx-process.js';
import { workerAccessProblems } from './worker-access.js';

export { EdgeConfigError } from './edge-router.js';

export interface NginxEdgeRouterOptions {
  settings: EdgeSettings;
  /** The instances' domain (INSTANCE_BASE_DOMAIN): `<slug>.<base>` hosts may use a wildcard certificate `certs/_wildcard.<base>/`. */
  baseDomain: string;
  nginxBin?: string;
  log?: EdgeLog;
  /** How long to wait for the other process (API or worker) holding the edge lock. */
  lockWaitMs?: number;
  reloadTimeoutMs?: number;
  /** Tests only: replaces the instance renderer (to force a config nginx refuses). */
  renderInstance?: typeof renderInstanceConf;
}

const INSTANCE_FILE = /^([A-Za-z0-9][A-Za-z0-9-]{0,63})\.conf$/;
const silentLog: EdgeLog = { info() {}, warn() {} };

/**
 * The edge on one machine's nginx. Every change follows the same path: render the whole config
 * tree into a staging directory, validate it with `nginx -t`, then rename the changed files into
 * place (each file atomically) and reload gracefully. The last good config is the live set read at
 * the start of each change: a reload nginx refuses puts it back.
 * Changes are serialized in-process (a promise chain) and across processes (a lock file in the
 * edge directory): the API and the worker both change routes, and the lock must cover exactly the
 * directory nginx reads — a Redis lock would span machines that do not share it and would tie the
 * edge to Redis being up.
 */
export class NginxEdgeRouter implements EdgeRouter {
  readonly settings: EdgeSettings;
  readonly paths: EdgePaths;
  private readonly nginxBin: string;
  private readonly log: EdgeLog;
  private readonly renderInstance: typeof renderInstanceConf;
  private readonly certificates: CertificateStore;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: NginxEdgeRouterOptions) {
    this.settings = validateSettings(options.settings);
    this.paths = edgePaths(this.settings.dir);
    this.nginxBin = options.nginxBin ?? 'nginx';
    this.log = options.log ?? silentLog;
    this.renderInstance = options.renderInstance ?? renderInstanceConf;
    this.certificates = new CertificateStore(this.paths.certs);
  }

  /** Renders the route and fails on invalid input before anything is written. */
  render(route: InstanceRoute): Promise<string> {
    return this.certsFor(route.hosts).then((certs) => this.renderInstance(route, this.settings, certs));
  }

  async applyRoute(route: InstanceRoute): Promise<void> {
    await this.apply(route);
  }

  async removeRoute(instanceId: string): Promise<void> {
    await this.remove(instanceId);
  }

  async syncAll(routes: InstanceRoute[]): Promise<void> {
    const result = await this.sync(routes);
    if (result.failed.length > 0) throw new EdgeSyncError(result.failed);
  }

  /** A file in the webroot that well-known.conf serves on every host: no config change, no reload. */
  async publishChallenge(kind: ChallengeKind, token: string, content: string): Promise<void> {
    const file = this.challengeFile(kind, token);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content, { mode: 0o644 });
  }

  async withdrawChallenge(kind: ChallengeKind, token: string): Promise<void> {
    await rm(this.challengeFile(kind, token), { force: true });
  }

  /** applyRoute, with what happened (reloaded, or why not). */
  apply(route: InstanceRoute): Promise<EdgeApplyResult> {
    return this.serialized(async () => {
      assertInstanceId(route.instanceId);
      const content = await this.render(route);
      return this.commit((live) => new Map(live).set(route.instanceId, content), { instanceId: route.instanceId });
    });
  }

  remove(instanceId: string): Promise<EdgeApplyResult> {
    return this.serialized(async () => {
      assertInstanceId(instanceId);
      return this.commit(
        (live) => {
          const next = new Map(live);
          next.delete(instanceId);
          return next;
        },
        { instanceId },
      );
    });
  }

  /** Rewrites the platform files and every route; routes not listed are removed. One validation, one reload. */
  sync(routes: InstanceRoute[]): Promise<EdgeApplyResult> {
    return this.serialized(async () => {
      const failed: EdgeApplyResult['failed'] = [];
      const wanted = new Map<string, string>();
      for (const route of routes) {
        try {
          assertInstanceId(route.instanceId);
          wanted.set(route.instanceId, await this.render(route));
        } catch (error) {
          if (!(error instanceof EdgeInputError)) throw error;
          failed.push({ instanceId: route.instanceId, error });
        }
      }
      // A route left out keeps its live file (its last good config) rather than vanishing.
      const keepLive = (next: Map<string, string>, live: Map<string, string>) => {
        for (const { instanceId } of failed) {
          const current = live.get(instanceId);
          if (current !== undefined && !next.has(instanceId)) next.set(instanceId, current);
        }
        return next;
      };
      const result = await this.commit((live) => keepLive(new Map(wanted), live), {
        onRefused: async (platform, live) => keepLive(await this.withoutCulprits(platform, wanted, failed), live),
      });
      return { ...result, failed };
    });
  }

  /** Re-renders the platform's own files (main config, snippets) and reloads; routes stay as they are. */
  async applyPlatform(): Promise<EdgeApplyResult> {
    const result = await this.serialized(() => this.commit((live) => live));
    const user = this.settings.user;
    if (user === 'root') {
      this.log.warn(
        { user },
        'nginx workers run as root: the worker user (EDGE_WORKER_USER) cannot reach the served directories; move the checkout out of /root or open its parents (chmod o+x)',
      );
    } else if (user) {
      const served = [this.settings.webRoot, this.settings.adminRoot, join(this.paths.webroot, '.well-known', 'acme-challenge')];
      for (const problem of workerAccessProblems(user, served)) this.log.warn({ user }, `nginx workers: ${problem}`);
    }
    return result;
  }

  /**
   * Reloads the running nginx with its config unchanged, in turn with the changes: nginx resolves its
   * upstreams' host names again (the API's service name, api-upstream-watch.ts). False when nginx is not running.
   */
  reload(): Promise<boolean> {
    return this.serialized(async () => {
      const pid = await nginxMasterPid(this.paths.dir);
      if (pid === null) return false;
      await reloadNginx(this.paths.dir, pid, this.options.reloadTimeoutMs ?? 10_000);
      return true;
    });
  }

  /** Whether the nginx of this edge directory runs, and its master pid. */
  async status(): Promise<{ running: boolean; pid: number | null }> {
    const pid = await nginxMasterPid(this.paths.dir);
    return { running: pid !== null, pid };
  }

  // --- internals -------------------------------------------------------------------------------

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.ensureDirs();
      const release = await lockfile.lock(this.paths.dir, {
        lockfilePath: this.paths.lockFile,
        realpath: false,
        stale: 30_000,
        retries: { retries: Math.ceil((this.options.lockWaitMs ?? 60_000) / 100), factor: 1, minTimeout: 100, maxTimeout: 100 },
        onCompromised: (err) => this.log.warn({ err: err.message }, 'edge lock compromised'),
      });
      try {
        return await task();
      } finally {
        await release().catch(() => undefined);
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  private challengeFile(kind: ChallengeKind, token: string): string {
    return join(this.paths.webroot, challengePath(kind, assertToken(token)));
  }

  private async ensureDirs() {
    const p = this.paths;
    for (const d of [
      p.dir,
      p.instances,
      p.snippets,
      p.logs,
      p.temp,
      join(p.cache, 'static'),
      join(p.webroot, '.well-known', 'acme-challenge'),
      p.certs,
    ]) {
      await mkdir(d, { recursive: true });
    }
    // Served by nginx's workers (an unprivileged user): searchable and readable whatever the umask.
    for (const d of [p.dir, p.webroot, join(p.webroot, '.well-known'), join(p.webroot, '.well-known', 'acme-challenge')]) {
      await chmod(d, 0o755);
    }
  }

  private async readLive(): Promise<{ platform: Map<string, string>; instances: Map<string, string> }> {
    const platform = new Map<string, string>();
    for (const name of renderPlatformFiles(this.settings).keys()) {
      const text = await readFile(join(this.paths.dir, name), 'utf8').catch(() => null);
      if (text !== null) platform.set(name, text);
    }
    const instances = new Map<string, string>();
    for (const entry of await readdir(this.paths.instances)) {
      const id = INSTANCE_FILE.exec(entry)?.[1];
      if (id) instances.set(id, await readFile(join(this.paths.instances, entry), 'utf8'));
    }
    return { platform, instances };
  }

  /** Validates platform files + instance files as a whole, in the staging directory. */
  private async validate(platform: Map<string, string>, instances: Map<string, string>): Promise<{ ok: boolean; output: string }> {
    const staging = this.paths.staging;
    await rm(staging, { recursive: true, force: true });
    await mkdir(join(staging, 'instances'), { recursive: true });
    for (const [name, text] of platform) await writeFileSynced(join(staging, name), text);
    for (const [id, text] of instances) await writeFileSynced(join(staging, 'instances', `${id}.conf`), text);
    return testNginxConfig(this.nginxBin, this.paths.dir, staging);
  }

  /**
   * syncAll: if the whole set is refused, finds the routes nginx refuses on their own and leaves
   * them out, so one bad route cannot keep every other instance off the edge at start-up.
   */
  private async withoutCulprits(platform: Map<string, string>, wanted: Map<string, string>, failed: EdgeApplyResult['failed']) {
    const next = new Map<string, string>();
    for (const [id, text] of wanted) {
      const alone = await this.validate(platform, new Map([[id, text]]));
      if (alone.ok) next.set(id, text);
      else failed.push({ instanceId: id, error: new EdgeConfigError('nginx refused the route', alone.output, id) });
    }
    return next;
  }

  private async renderPlatform(): Promise<Map<string, string>> {
    return renderPlatformFiles(this.settings, await this.platformCerts());
  }

  private async commit(
    plan: (live: Map<string, string>) => Map<string, string>,
    options: {
      instanceId?: string;
      /** A smaller set to try when nginx refuses the planned one (syncAll). */
      onRefused?: (platform: Map<string, string>, live: Map<string, string>) => Promise<Map<string, string>>;
    } = {},
  ): Promise<EdgeApplyResult> {
    const { instanceId } = options;
    const live = await this.readLive();
    const platform = await this.renderPlatform();
    let instances = plan(live.instances);
    let checked = await this.validate(platform, instances);
    if (!checked.ok && options.onRefused) {
      instances = await options.onRefused(platform, live.instances);
      checked = await this.validate(platform, instances);
    }
    if (!checked.ok) throw new EdgeConfigError('nginx refused the new config (the live config is unchanged)', checked.output, instanceId);

    const changed = await this.swap(live, platform, instances);
    if (!changed) return { reloaded: false, note: 'no change', failed: [] };
    const pid = await nginxMasterPid(this.paths.dir);
    if (pid === null) {
      const note = 'nginx is not running: the config is written and validated, and is used when nginx starts';
      this.log.warn({ dir: this.paths.dir }, note);
      return { reloaded: false, note, failed: [] };
    }
    try {
      await reloadNginx(this.paths.dir, pid, this.options.reloadTimeoutMs ?? 10_000);
    } catch (error) {
      // The master kept the old config in memory: put the old files back so disk and memory agree.
      await this.swap({ platform, instances }, live.platform, live.instances);
      throw error;
    }
    this.log.info({ pid, instanceId }, 'edge config reloaded');
    return { reloaded: true, failed: [] };
  }

  /** Renames changed files into place; returns whether anything changed. */
  private async swap(
    live: { platform: Map<string, string>; instances: Map<string, string> },
    platform: Map<string, string>,
    instances: Map<string, string>,
  ): Promise<boolean> {
    let changed = false;
    for (const [name, text] of platform) {
      if (live.platform.get(name) === text) continue;
      await replaceFile(join(this.paths.dir, name), text);
      changed = true;
    }
    for (const [id, text] of instances) {
      if (live.instances.get(id) === text) continue;
      await replaceFile(join(this.paths.instances, `${id}.conf`), text);
      changed = true;
    }
    for (const id of live.instances.keys()) {
      if (instances.has(id)) continue;
      await rm(join(this.paths.instances, `${id}.conf`), { force: true });
      changed = true;
    }
    return changed;
  }

  private async platformCerts(): Promise<PlatformCerts> {
    return { publicHost: await this.certFile(this.settings.publicHost), adminHost: await this.certFile(this.settings.adminHost) };
  }

  private async certsFor(hosts: string[]): Promise<Map<string, TlsCert>> {
    const certs = new Map<string, TlsCert>();
    if (this.settings.httpsPort === null) return certs;
    const base = this.options.baseDomain.toLowerCase();
    for (const raw of hosts) {
      const host = raw.trim().toLowerCase();
      if (!isHostname(host)) continue; // the renderer reports it
      const own = await this.certFile(host);
      const parent = host.slice(host.indexOf('.') + 1);
      const wildcard = !own && parent === base ? await this.certFile(`_wildcard.${base}`) : null;
      const cert = own ?? wildcard;
      if (cert) certs.set(host, cert);
    }
    return certs;
  }

  /** The stored certificate of `name` (its resolved version: a renewal changes the rendered file), if it parses. */
  private async certFile(name: string): Promise<TlsCert | null> {
    try {
      const cert = await this.certificates.read(name);
      return cert && { certFile: cert.certFile, keyFile: cert.keyFile, ocsp: cert.ocsp };
    } catch {
      this.log.warn({ certificate: name }, 'unreadable certificate ignored');
      return null;
    }
  }
}

async function writeFileSynced(path: string, text: string, mode = 0o644) {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'w', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `<file>.tmp` (never matched by the include glob), then renames it into place. */
async function replaceFile(file: string, text: string) {
  const tmp = `${file}.tmp`;
  await writeFileSynced(tmp, text);
  await rename(tmp, file);
}
