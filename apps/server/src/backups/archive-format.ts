import { z } from 'zod';

/**
 * The zip layout of Odoo's database manager (odoo/service/db.py, dump_db/restore_db, 17.0 and 18.0):
 * `dump.sql` (plain `pg_dump --no-owner`), `filestore/<2-char dir>/<sha1>` and `manifest.json`.
 */
export const DUMP_MEMBER = 'dump.sql';
export const MANIFEST_MEMBER = 'manifest.json';
export const FILESTORE_PREFIX = 'filestore/';

/** One path segment we accept: what Odoo's filestore and dump contain, nothing a filesystem could reinterpret. */
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** A relative, forward-slash path made only of safe segments (no `..`, no absolute or drive paths, no backslashes). */
export function isSafeRelativePath(name: string): boolean {
  if (name.length === 0 || name.length > 512) return false;
  return name.split('/').every((segment) => SAFE_SEGMENT.test(segment) && segment !== '..');
}

/** Our own manifest key: Odoo's restore_db never reads manifest.json, so extra keys are harmless to it. */
export const saasManifestSchema = z.object({
  format: z.literal(1),
  createdAt: z.string(),
  dumpBytes: z.number().int().nonnegative(),
  filestoreFiles: z.number().int().nonnegative(),
  filestoreBytes: z.number().int().nonnegative(),
  /** Every member but manifest.json itself, with its uncompressed size and SHA-256. */
  members: z.record(z.string(), z.object({ size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type SaasManifest = z.infer<typeof saasManifestSchema>;

/** Odoo's dump_db_manifest keys (all present since Odoo 8); unknown keys are kept. */
export const odooManifestSchema = z.looseObject({
  odoo_dump: z.literal('1'),
  db_name: z.string(),
  version: z.string().min(1),
  version_info: z.array(z.union([z.number(), z.string()])).min(2),
  // e.g. '17.0', or 'saas~17.2' on Odoo's SaaS branches.
  major_version: z.string().regex(/^(saas~)?\d+\.\d+$/),
  pg_version: z.string(),
  modules: z.record(z.string(), z.string().nullable()),
  saas: saasManifestSchema.optional(),
});
export type OdooManifest = z.infer<typeof odooManifestSchema>;
