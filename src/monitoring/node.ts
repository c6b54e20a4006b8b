/** Node-only parts of monitoring (the SMTP client); the browser imports src/monitoring/index.ts only. */
export {
  dotStuff,
  formatMessage,
  type MailMessage,
  type SmtpConfig,
  SmtpError,
  sendMail,
} from "./notify/smtp.ts";

import type { EmailSender } from "./notify/notifier.ts";
import { type SmtpConfig, sendMail } from "./notify/smtp.ts";

/** An e-mail sender for the Notifier that goes through the configured SMTP relay. */
export const smtpSender =
  (config: SmtpConfig): EmailSender =>
  (message) =>
    sendMail(config, message);
