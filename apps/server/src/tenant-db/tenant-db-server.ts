/**
 * The PostgreSQL server that holds the tenants' Odoo databases (a separate cluster or server role from the
 * platform's own database in production). Domain code depends on this interface only; `postgres/` implements
 * it, and no database client ever crosses it. Names are the platform's own (deterministic per instance), so
 * every call is idempotent.
 */
/** An instance's own database login: what SQL inside a tenant database runs as. */
export interface TenantLogin {
  role: string;
  password: string;
}

export interface TenantDbServer {
  roleExists(role: string): Promise<boolean>;
  databaseExists(db: string): Promise<boolean>;

  /**
   * A login role with no special powers, created or given this password, and a member of the platform's
   * instance group (the only roles pg_hba admits from instance networks).
   */
  ensureRole(role: string, password: string): Promise<void>;
  /** Creates the instance group if missing and admits every role the platform made for its instances to it (an upgrade from before the group). */
  ensureInstanceGroup(): Promise<void>;
  /** Drops the role if it exists. */
  dropRole(role: string): Promise<void>;

  /** An empty database owned by `owner`, closed to every other role. */
  ensureDatabase(db: string, owner: string): Promise<'created' | 'existed'>;
  /**
   * A copy of the `template` database, owned by `owner` and closed to every other role. The template's
   * sessions are closed first (PostgreSQL copies only a database nobody is connected to).
   */
  cloneDatabase(template: string, db: string, owner: string): Promise<'created' | 'existed'>;
  /** Gives every object in `db` owned by `fromRole` (a clone keeps its template's owner) to `toRole`. */
  transferObjects(db: string, fromRole: string, toRole: string): Promise<number>;
  /** Closes every client session on the database. */
  disconnectAll(db: string): Promise<void>;
  /** Drops the database if it exists, closing its sessions. */
  dropDatabase(db: string): Promise<void>;
  /** The database's size in bytes; null when it cannot be measured (e.g. it is gone). */
  databaseSize(db: string): Promise<number | null>;

  /*
   * SQL inside a tenant database runs as the instance's own role (`as`), never with the platform's rights:
   * the tenant owns its tables, so a trigger it planted runs as whoever writes to them.
   */

  /**
   * Makes a freshly cloned or initialized Odoo database this instance's own, in one transaction: a clone keeps
   * the template's `database.uuid` and `database.secret` (Odoo signs sessions with the secret), so both are
   * regenerated; the base URL and the admin's password hash are set.
   */
  personalizeOdooDatabase(
    db: string,
    as: TenantLogin,
    input: { baseUrl: string; adminLogin: string; adminPasswordHash: string },
  ): Promise<void>;
  /** Stores an Odoo password hash for the user with this login; fails when there is no such user. */
  setOdooPasswordHash(db: string, as: TenantLogin, login: string, hash: string): Promise<void>;
  /** Odoo's active internal users (per-user pricing): `res_users` rows that are active and not shared (portal, public). */
  countOdooUsers(db: string, as: TenantLogin): Promise<number>;
  /** Sets Odoo's `web.base.url` (a restored database keeps the address of where it was made). */
  setOdooBaseUrl(db: string, as: TenantLogin, baseUrl: string): Promise<void>;
  /** The login of Odoo's administrator (`base.user_admin`); null when the database has none. */
  odooAdminLogin(db: string, as: TenantLogin): Promise<string | null>;

  /**
   * Dumps `db` as plain SQL without owners or grants (what Odoo's dump.sql holds) into the local `outFile`,
   * connecting as the instance's own role; an aborted `signal` stops it.
   */
  dumpDatabase(db: string, as: TenantLogin, outFile: string, signal?: AbortSignal): Promise<{ bytes: number }>;
  /** What a backup's manifest records: installed modules with their versions, and the server's version number. */
  odooDumpFacts(db: string, as: TenantLogin): Promise<{ modules: Record<string, string | null>; serverVersionNum: number }>;
  /**
   * Renames a database, closing its sessions first. Already done (`from` gone, `to` there) is fine;
   * both present is an error.
   */
  renameDatabase(from: string, to: string): Promise<void>;

  close(): Promise<void>;
}
