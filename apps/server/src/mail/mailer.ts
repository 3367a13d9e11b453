/** A message as delivered: plain text plus the links it carries (the web app's action URLs). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  links: string[];
}

/** Where mail goes: SMTP in production, the local mailbox in local mode. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
