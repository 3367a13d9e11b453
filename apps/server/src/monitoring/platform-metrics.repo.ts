import { count, ne } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { instances } from '../instances/instances.tables.js';

/** The few counts the API's business gauges read at scrape time (each one indexed, small query). */
export class PlatformMetricsRepository {
  constructor(private readonly db: DbOrTx) {}

  instancesByStatus() {
    return this.db
      .select({ status: instances.status, n: count() })
      .from(instances)
      .where(ne(instances.status, 'deleted'))
      .groupBy(instances.status);
  }
}
