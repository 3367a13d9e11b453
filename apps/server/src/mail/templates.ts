import type { MailMessage } from './mailer.js';

const signature = '\n\n— The Odoo Cloud team';

export const mailTemplates = {
  verifyEmail: (to: string, name: string, link: string): MailMessage => ({
    to,
    subject: 'Confirm your email address',
    text: `Hello ${name},\n\nConfirm your email address to start creating Odoo instances:\n${link}\n\nThe link is valid for 48 hours.${signature}`,
    links: [link],
  }),
  resetPassword: (to: string, link: string): MailMessage => ({
    to,
    subject: 'Reset your password',
    text: `Someone asked to reset the password of this account. If it was you, choose a new password here:\n${link}\n\nThe link is valid for 1 hour. If it was not you, ignore this message.${signature}`,
    links: [link],
  }),
  invitation: (to: string, tenantName: string, inviterName: string, role: string, link: string): MailMessage => ({
    to,
    subject: `${inviterName} invited you to ${tenantName}`,
    text: `${inviterName} invited you to join ${tenantName} as ${role}.\n\nAccept the invitation:\n${link}\n\nThe link is valid for 7 days.${signature}`,
    links: [link],
  }),
  accountLocked: (to: string, minutes: number, resetLink: string): MailMessage => ({
    to,
    subject: 'Your account was temporarily locked',
    text: `There were too many failed login attempts on your account, so it is locked for ${minutes} minutes.\n\nIf this was not you, reset your password:\n${resetLink}${signature}`,
    links: [resetLink],
  }),
  /** Sent instead of an error when someone signs up with an address that already has an account. */
  signupAttempt: (to: string, loginLink: string, resetLink: string): MailMessage => ({
    to,
    subject: 'Someone tried to sign up with your address',
    text: `Someone just tried to create a new account with this email address, but you already have one.\n\nIf it was you, log in:\n${loginLink}\n\nForgot your password? Choose a new one:\n${resetLink}\n\nIf it was not you, you can ignore this message: nothing was changed.${signature}`,
    links: [loginLink, resetLink],
  }),
  passwordChanged: (to: string): MailMessage => ({
    to,
    subject: 'Your password was changed',
    text: `The password of your account was just changed and your other sessions were signed out. If this was not you, reset your password right away.${signature}`,
    links: [],
  }),
  /** An operator removed the account's two-factor authentication (docs/admin.md). */
  twoFactorReset: (to: string, accountLink: string): MailMessage => ({
    to,
    subject: 'Two-factor authentication was turned off on your account',
    text: `At your request, our support team turned off two-factor authentication on your account and signed out all its sessions. Your recovery codes no longer work.\n\nLog in with your password and set it up again:\n${accountLink}\n\nIf you did not ask for this, reset your password and contact support right away.${signature}`,
    links: [accountLink],
  }),
};
