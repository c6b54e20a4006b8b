/**
 * A minimal SMTP client for alert e-mail through a configured relay (Node only: node:net, node:tls).
 * RFC 5321 conversation: greeting, EHLO (HELO fallback), STARTTLS when offered and wanted, optional
 * AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO per recipient, DATA with dot-stuffing, QUIT. RFC 5322
 * headers (From, To, Subject, Date, Message-ID, MIME-Version, Content-Type); the subject is encoded
 * as an RFC 2047 word when it is not plain ASCII.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import tls from "node:tls";

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (port 465). */
  readonly secure?: boolean;
  /** Upgrade with STARTTLS when the server offers it: "auto" (default), "always" (fail if not offered), "never". */
  readonly starttls?: "auto" | "always" | "never";
  readonly auth?: { readonly user: string; readonly pass: string; readonly method?: "PLAIN" | "LOGIN" };
  /** Name sent in EHLO. Default "localhost". */
  readonly clientName?: string;
  readonly timeoutMs?: number;
  /** Extra TLS options (e.g. a private CA for a company relay). */
  readonly tls?: tls.ConnectionOptions;
}

export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** Fixed date and id make messages reproducible in tests. */
  readonly date?: Date;
  readonly messageId?: string;
}

export class SmtpError extends Error {
  override readonly name = "SmtpError";
  constructor(
    message: string,
    /** The server's reply code, or null for connection-level failures. */
    readonly code: number | null,
  ) {
    super(message);
  }
}

interface Reply {
  code: number;
  lines: string[];
}

const ADDRESS_RE = /^[^\s<>@]+@[^\s<>@]+$/;

function assertAddress(address: string, field: string): void {
  if (!ADDRESS_RE.test(address)) throw new SmtpError(`${field}: "${address}" is not an e-mail address`, null);
}

/** Lines a reader pulls one full (possibly multi-line) reply at a time from. */
class ReplyReader {
  private buffer = "";
  private readonly replies: Reply[] = [];
  private partial: string[] = [];
  private waiter: ((r: Reply) => void) | null = null;
  private failer: ((e: Error) => void) | null = null;
  private failure: Error | null = null;

  feed(chunk: string): void {
    this.buffer += chunk;
    let i = this.buffer.indexOf("\n");
    while (i >= 0) {
      const line = this.buffer.slice(0, i).replace(/\r$/, "");
      this.buffer = this.buffer.slice(i + 1);
      this.partial.push(line);
      // "250-..." continues, "250 ..." (or bare "250") ends the reply.
      if (!/^\d{3}-/.test(line)) {
        const code = Number(line.slice(0, 3));
        this.replies.push({
          code: Number.isInteger(code) ? code : 0,
          lines: this.partial.map((l) => l.slice(4)),
        });
        this.partial = [];
      }
      i = this.buffer.indexOf("\n");
    }
    this.flush();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.failer?.(error);
    this.waiter = null;
    this.failer = null;
  }

  next(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.failure && this.replies.length === 0) return reject(this.failure);
      this.waiter = resolve;
      this.failer = reject;
      this.flush();
    });
  }

  private flush(): void {
    if (this.waiter && this.replies.length > 0) {
      const w = this.waiter;
      this.waiter = null;
      this.failer = null;
      w(this.replies.shift() as Reply);
    }
  }
}

/** RFC 5321 §4.5.2: a line starting with "." gets another "."; line endings become CRLF. */
export function dotStuff(text: string): string {
  return text
    .replace(/\r?\n/g, "\r\n")
    .split("\r\n")
    .map((line) => (line.startsWith(".") ? `.${line}` : line))
    .join("\r\n");
}

function encodeHeader(value: string): string {
  const clean = value.replace(/[\r\n]+/g, " ");
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  return `=?UTF-8?B?${Buffer.from(clean, "utf8").toString("base64")}?=`;
}

/** The message as sent after DATA (headers, blank line, body), before dot-stuffing. */
export function formatMessage(message: MailMessage, clientName = "localhost"): string {
  const date = message.date ?? new Date();
  const id = message.messageId ?? `<${randomUUID()}@${clientName}>`;
  const headers = [
    `From: ${message.from}`,
    `To: ${message.to.join(", ")}`,
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: ${id}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  return `${headers.join("\r\n")}\r\n\r\n${message.text}`;
}

/** Sends one message; resolves with the server's reply to the end of DATA (its queue id, usually). */
export async function sendMail(config: SmtpConfig, message: MailMessage): Promise<string> {
  assertAddress(message.from, "from");
  if (message.to.length === 0) throw new SmtpError("to: at least one recipient is needed", null);
  for (const to of message.to) assertAddress(to, "to");
  const clientName = config.clientName ?? "localhost";
  const timeoutMs = config.timeoutMs ?? 15_000;

  let socket: net.Socket = config.secure
    ? tls.connect({ host: config.host, port: config.port, servername: config.host, ...config.tls })
    : net.connect({ host: config.host, port: config.port });
  let reader = attach(socket, timeoutMs);

  const send = (line: string) => socket.write(`${line}\r\n`);
  const expect = async (command: string | null, ok: (code: number) => boolean): Promise<Reply> => {
    if (command !== null) send(command);
    const reply = await reader.next();
    if (!ok(reply.code)) {
      const shown = command?.startsWith("AUTH") ? "AUTH" : (command ?? "greeting");
      throw new SmtpError(`${shown}: ${reply.code} ${reply.lines.join(" ")}`, reply.code);
    }
    return reply;
  };
  const is2xx = (c: number) => c >= 200 && c < 300;

  try {
    await expect(null, (c) => c === 220);
    let ehlo = await ehloOrHelo();
    const wantsTls = config.starttls ?? "auto";
    if (!config.secure && wantsTls !== "never") {
      if (hasExtension(ehlo, "STARTTLS")) {
        await expect("STARTTLS", (c) => c === 220);
        socket.removeAllListeners("data");
        socket.setTimeout(0);
        socket = tls.connect({ socket, servername: config.host, ...config.tls });
        reader = attach(socket, timeoutMs);
        await new Promise<void>((resolve, reject) => {
          socket.once("secureConnect", () => resolve());
          socket.once("error", reject);
        });
        ehlo = await ehloOrHelo();
      } else if (wantsTls === "always") {
        throw new SmtpError("the server does not offer STARTTLS", null);
      }
    }
    if (config.auth) {
      const methods = (ehlo.lines.find((l) => /^AUTH[ =]/i.test(l)) ?? "")
        .toUpperCase()
        .split(/[ =]/)
        .slice(1);
      const method =
        config.auth.method ?? (methods.includes("PLAIN") || methods.length === 0 ? "PLAIN" : "LOGIN");
      const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
      if (method === "PLAIN") {
        await expect(`AUTH PLAIN ${b64(`\0${config.auth.user}\0${config.auth.pass}`)}`, (c) => c === 235);
      } else {
        await expect("AUTH LOGIN", (c) => c === 334);
        await expect(b64(config.auth.user), (c) => c === 334);
        await expect(b64(config.auth.pass), (c) => c === 235);
      }
    }
    await expect(`MAIL FROM:<${message.from}>`, is2xx);
    for (const to of message.to) await expect(`RCPT TO:<${to}>`, is2xx);
    await expect("DATA", (c) => c === 354);
    socket.write(`${dotStuff(formatMessage(message, clientName))}\r\n.\r\n`);
    const done = await expect(null, is2xx);
    await expect("QUIT", () => true).catch(() => undefined);
    return `${done.code} ${done.lines.join(" ")}`;
  } finally {
    socket.destroy();
  }

  async function ehloOrHelo(): Promise<Reply> {
    send(`EHLO ${clientName}`);
    const reply = await reader.next();
    if (is2xx(reply.code)) return reply;
    return expect(`HELO ${clientName}`, is2xx);
  }
}

function hasExtension(ehlo: Reply, name: string): boolean {
  return ehlo.lines.some((l) => l.toUpperCase().split(" ")[0] === name);
}

function attach(socket: net.Socket, timeoutMs: number): ReplyReader {
  const reader = new ReplyReader();
  socket.setEncoding("utf8");
  socket.setTimeout(timeoutMs);
  socket.on("data", (chunk: string) => reader.feed(chunk));
  socket.on("timeout", () => {
    reader.fail(new SmtpError(`no answer within ${timeoutMs} ms`, null));
    socket.destroy();
  });
  socket.on("error", (error) => reader.fail(new SmtpError(error.message, null)));
  socket.on("close", () => reader.fail(new SmtpError("the server closed the connection", null)));
  return reader;
}
