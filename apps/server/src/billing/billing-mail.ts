import type { MailMessage } from '../mail/mailer.js';

const signature = '\n\n— The Odoo Cloud team';
const day = (d: Date) => d.toISOString().slice(0, 10);

/** Mail to a tenant's owner about its subscription; `billingLink` is the web app's billing page. */
export const billingMail = {
  trialEnding: (to: string, tenant: string, endsAt: Date | null, billingLink: string): MailMessage => ({
    to,
    subject: `Your trial of ${tenant} ends soon`,
    text: `The free trial of ${tenant} ends${endsAt ? ` on ${day(endsAt)}` : ' soon'}. To keep your Odoo instances running, make sure a payment method is on file:\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  paymentFailed: (to: string, tenant: string, suspendsAt: Date | null, billingLink: string): MailMessage => ({
    to,
    subject: `Payment failed for ${tenant}`,
    text: `We could not collect the latest payment for ${tenant}.${suspendsAt ? ` Unless it is paid by ${day(suspendsAt)}, your Odoo instances will be suspended.` : ''}\n\nUpdate your payment method or pay the invoice here:\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  paymentReceived: (to: string, tenant: string, amount: string, billingLink: string): MailMessage => ({
    to,
    subject: `Payment received for ${tenant}`,
    text: `Thank you: we received ${amount} for ${tenant}. Your invoices are on the billing page:\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  suspended: (to: string, tenant: string, deletesAt: Date | null, billingLink: string): MailMessage => ({
    to,
    subject: `${tenant} is suspended`,
    text: `The Odoo instances of ${tenant} are suspended because its subscription is not paid. Your data is kept${deletesAt ? ` until ${day(deletesAt)}` : ''}; paying resumes everything automatically:\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  resumed: (to: string, tenant: string, billingLink: string): MailMessage => ({
    to,
    subject: `${tenant} is running again`,
    text: `Thank you: the subscription of ${tenant} is in good standing again and its Odoo instances are starting.\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  canceled: (to: string, tenant: string, deletesAt: Date | null, billingLink: string): MailMessage => ({
    to,
    subject: `The subscription of ${tenant} has ended`,
    text: `The subscription of ${tenant} has ended and its Odoo instances are suspended.${deletesAt ? ` They and their data will be deleted on ${day(deletesAt)} unless you subscribe again.` : ''}\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  deleted: (to: string, tenant: string, instances: number, billingLink: string): MailMessage => ({
    to,
    subject: `The instances of ${tenant} were deleted`,
    text: `The retention period after the end of the subscription of ${tenant} is over, so its ${instances} Odoo instance(s) and their data were deleted. You can subscribe again at any time:\n${billingLink}${signature}`,
    links: [billingLink],
  }),
  planChanged: (to: string, tenant: string, plan: string, restarts: string[], billingLink: string): MailMessage => ({
    to,
    subject: `${tenant} is now on the ${plan} plan`,
    text: `${tenant} is now on the ${plan} plan and its instances have the new limits.${restarts.length ? `\n\nThese instances restart within a minute to apply the new number of Odoo workers: ${restarts.join(', ')}.` : ''}\n${billingLink}${signature}`,
    links: [billingLink],
  }),
};
