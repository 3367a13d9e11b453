import type { Db } from '../db/client.js';
import { notFound } from '../errors/domain-error.js';
import type { Queues } from '../jobs/queues.js';
import { OdooVersionsRepository } from './instances.repo.js';

type VersionRow = Awaited<ReturnType<OdooVersionsRepository['list']>>[number];

/** The Odoo versions catalog: what tenants may pick, and each version's pre-initialized template. */
export class VersionsService {
  private readonly versions: OdooVersionsRepository;

  constructor(private readonly deps: { db: Db; queues: Queues }) {
    this.versions = new OdooVersionsRepository(deps.db);
  }

  /** Every version, for operators. */
  async listAll() {
    return this.withTemplates(await this.versions.list());
  }

  /** The versions tenants may create instances of. */
  async listOffered() {
    return this.withTemplates((await this.versions.list()).filter((v) => v.enabled));
  }

  /** Adds or changes a version; a new image (or a missing template) queues a template build. */
  async put(version: string, values: { image: string; enabled: boolean; isDefault?: boolean | undefined }) {
    const row = await this.versions.upsert(version, values);
    const template = await this.versions.template(version);
    if (row.enabled && (!template || template.image !== row.image)) await this.queueTemplateBuild(version);
    const [withTemplate] = await this.withTemplates([row]);
    return withTemplate as NonNullable<typeof withTemplate>;
  }

  async rebuildTemplate(version: string) {
    if (!(await this.versions.find(version))) throw notFound('Odoo version');
    await this.queueTemplateBuild(version);
  }

  private async queueTemplateBuild(version: string) {
    await this.deps.queues.maintenance.add('build-template', { version }, { jobId: `build-template-${version}-${Date.now()}` });
  }

  private withTemplates(rows: VersionRow[]) {
    return Promise.all(rows.map(async (v) => ({ ...v, templateStatus: (await this.versions.template(v.version))?.status ?? null })));
  }
}
