import type { MailMessage } from '../mail/mailer.js';

const signature = '\n\n— The Odoo Cloud team';

/** Mail to a tenant's owner about an operator's suspension or deletion: not about payment, so no billing link to act on. */
export const operatorMail = {
  suspended: (to: string, tenant: string, reason: string, appLink: string): MailMessage => ({
    to,
    subject: `${tenant} was suspended by the platform operator`,
    text: `The platform operator suspended ${tenant}: its Odoo instances are stopped and their addresses show a "suspended" page. Your data is kept.\n\nReason given: ${reason}\n\nReply to this message or contact support to have it resumed.\n${appLink}${signature}`,
    links: [appLink],
  }),
  deleted: (to: string, tenant: string, reason: string, appLink: string): MailMessage => ({
    to,
    subject: `${tenant} was deleted by the platform operator`,
    text: `The platform operator deleted ${tenant}: its Odoo instances are being deleted, each after a final backup, and its members can no longer open it. Pending invitations were withdrawn and its subscription ends.\n\nReason given: ${reason}\n\nThe final backups are kept for the plan's retention period; reply to this message or contact support if you need one.\n${appLink}${signature}`,
    links: [appLink],
  }),
  resumed: (to: string, tenant: string, appLink: string): MailMessage => ({
    to,
    subject: `${tenant} was resumed by the platform operator`,
    text: `The platform operator lifted the suspension of ${tenant}: its Odoo instances are starting again.\n${appLink}${signature}`,
    links: [appLink],
  }),
};
