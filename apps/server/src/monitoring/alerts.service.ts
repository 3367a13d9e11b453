import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { MailService } from '../mail/mail.service.js';
import type { MailMessage } from '../mail/mailer.js';
import { type AlertRow, AlertsRepository, type NewAlert } from './alerts.repo.js';
import type { AdminAlertDto, AlertmanagerWebhook, WebhookAlert } from './alerts.schemas.js';
import type { AlertStatus } from './alerts.tables.js';

export interface AlertsServiceDeps {
  db: Db;
  mail: MailService;
  log: FastifyBaseLogger;
  /** ALERT_EMAIL_TO; empty: every enabled platform admin. */
  emailTo: string[];
  /** Linked from the mail (the admin dashboard's Alerts page). */
  adminUrl: string;
}

const toNewAlert = (alert: WebhookAlert): NewAlert => ({
  fingerprint: alert.fingerprint,
  name: alert.labels.alertname ?? 'unnamed',
  severity: alert.labels.severity ?? 'warning',
  summary: alert.annotations.summary ?? alert.labels.alertname ?? 'Alert',
  description: alert.annotations.description ?? '',
  labels: alert.labels,
  startsAt: new Date(alert.startsAt),
});

/** Alertmanager sends the zero time, or a far date, for an end it does not know yet. */
const endOf = (alert: WebhookAlert): Date => {
  const parsed = alert.endsAt ? new Date(alert.endsAt) : new Date(Number.NaN);
  return Number.isNaN(parsed.getTime()) || parsed.getFullYear() < 2000 ? new Date() : parsed;
};

export const toAdminAlert = (row: AlertRow): AdminAlertDto => ({
  id: row.id,
  name: row.name,
  severity: row.severity,
  status: row.status,
  summary: row.summary,
  description: row.description,
  labels: row.labels,
  startsAt: row.startsAt.toISOString(),
  endsAt: row.endsAt?.toISOString() ?? null,
});

/**
 * Alert intake: Alertmanager's webhook notifications become rows of `alerts`, and operators get one
 * mail when an occurrence fires and one when it resolves, however often Alertmanager repeats itself
 * (the row's state transition decides, inside the transaction that queues the mail).
 */
export class AlertsService {
  constructor(private readonly deps: AlertsServiceDeps) {}

  async receive(payload: AlertmanagerWebhook): Promise<{ fired: number; resolved: number }> {
    let fired = 0;
    let resolved = 0;
    for (const alert of payload.alerts) {
      const changed = await this.deps.mail.transaction(async (tx, queueMail) => {
        const repo = new AlertsRepository(tx);
        const values = toNewAlert(alert);
        const row =
          alert.status === 'firing'
            ? await repo.insertFiring(values)
            : await repo.resolve(values.fingerprint, values.startsAt, endOf(alert));
        if (!row) {
          if (alert.status === 'resolved') await repo.insertResolved(values, endOf(alert));
          return false;
        }
        for (const message of await this.messages(repo, row)) await queueMail(message);
        await repo.markNotified(row.id);
        return true;
      });
      if (!changed) continue;
      if (alert.status === 'firing') fired += 1;
      else resolved += 1;
    }
    if (fired || resolved) this.deps.log.info({ fired, resolved }, 'alerts received');
    return { fired, resolved };
  }

  async list(query: { status?: AlertStatus | undefined; limit: number; offset: number }) {
    const result = await new AlertsRepository(this.deps.db).list(query);
    return { items: result.items.map(toAdminAlert), total: result.total };
  }

  private async messages(repo: AlertsRepository, row: AlertRow): Promise<MailMessage[]> {
    const recipients = this.deps.emailTo.length > 0 ? this.deps.emailTo : await repo.adminEmails();
    if (recipients.length === 0) this.deps.log.warn({ alert: row.name }, 'alert has no recipient: set ALERT_EMAIL_TO or add an admin');
    const link = `${this.deps.adminUrl.replace(/\/+$/, '')}/alerts`;
    const state = row.status === 'firing' ? 'FIRING' : 'RESOLVED';
    const labels = Object.entries(row.labels)
      .filter(([key]) => key !== 'alertname')
      .map(([key, value]) => `  ${key}: ${value}`)
      .join('\n');
    const text = [
      `${row.summary}`,
      row.description,
      `Alert: ${row.name} (${row.severity})`,
      `Started: ${row.startsAt.toISOString()}${row.endsAt ? `\nResolved: ${row.endsAt.toISOString()}` : ''}`,
      labels ? `Labels:\n${labels}` : '',
      `Alerts in the dashboard: ${link}`,
    ]
      .filter(Boolean)
      .join('\n\n');
    return recipients.map((to) => ({ to, subject: `[${state}] ${row.name}: ${row.summary}`, text, links: [link] }));
  }
}
