import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { alertEmail } from "./notifier.ts";
import { dotStuff, SmtpError, sendMail } from "./smtp.ts";

/** A tiny SMTP server speaking RFC 5321 over loopback; records every line it reads. */
function smtpServer(
  options: { auth?: string[]; rejectRcpt?: string; tls?: { key: string; cert: string } } = {},
) {
  const lines: string[] = [];
  const messages: string[] = [];
  let secured = false;
  const server = net.createServer((raw) => {
    let socket: net.Socket = raw;
    socket.setEncoding("utf8");
    let buffer = "";
    let inData = false;
    let data: string[] = [];
    let loginStep = 0;
    const reply = (s: string) => socket.write(`${s}\r\n`);
    reply("220 loopback.test ESMTP ready");
    const onData = (chunk: string) => {
      buffer += chunk;
      let i = buffer.indexOf("\r\n");
      while (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        i = buffer.indexOf("\r\n");
        if (inData) {
          if (line === ".") {
            inData = false;
            messages.push(data.join("\r\n"));
            data = [];
            reply("250 2.0.0 Ok: queued as ABC123");
          } else {
            data.push(line);
          }
          continue;
        }
        lines.push(line);
        if (loginStep === 1) {
          loginStep = 2;
          reply("334 UGFzc3dvcmQ6");
        } else if (loginStep === 2) {
          loginStep = 0;
          reply("235 2.7.0 Authentication successful");
        } else if (/^EHLO /.test(line)) {
          const ext = ["250-loopback.test", "250-PIPELINING", "250-SIZE 10240000"];
          if (options.tls && !secured) ext.push("250-STARTTLS");
          if (options.auth) ext.push(`250-AUTH ${options.auth.join(" ")}`);
          ext.push("250 8BITMIME");
          socket.write(`${ext.join("\r\n")}\r\n`);
        } else if (line === "STARTTLS" && options.tls) {
          reply("220 2.0.0 Ready to start TLS");
          socket.removeAllListeners("data");
          const secure = new tls.TLSSocket(socket, {
            isServer: true,
            key: options.tls.key,
            cert: options.tls.cert,
          });
          secure.setEncoding("utf8");
          secure.on("secure", () => {
            secured = true;
          });
          secure.on("data", onData);
          socket = secure;
          buffer = "";
          return;
        } else if (/^AUTH PLAIN /.test(line)) {
          reply("235 2.7.0 Authentication successful");
        } else if (line === "AUTH LOGIN") {
          loginStep = 1;
          reply("334 VXNlcm5hbWU6");
        } else if (/^MAIL FROM:/.test(line)) {
          reply("250 2.1.0 Ok");
        } else if (/^RCPT TO:/.test(line)) {
          reply(line.includes(options.rejectRcpt ?? "\0") ? "550 5.1.1 No such user" : "250 2.1.5 Ok");
        } else if (line === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>");
        } else if (line === "QUIT") {
          reply("221 2.0.0 Bye");
          socket.end();
        } else {
          reply("502 5.5.2 Error: command not recognized");
        }
      }
    };
    socket.on("data", onData);
  });
  return {
    lines,
    messages,
    secured: () => secured,
    listen: () =>
      new Promise<number>((r) =>
        server.listen(0, "127.0.0.1", () => r((server.address() as net.AddressInfo).port)),
      ),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let current: ReturnType<typeof smtpServer> | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

const message = {
  from: "alerts@zkusd.test",
  to: ["ops@zkusd.test", "oncall@zkusd.test"],
  subject: "[zkUSD CRITICAL] recovery-mode",
  text: "TCR 1.46\n.hidden line starts with a dot\n..two dots\nend",
  date: new Date(Date.UTC(2026, 10, 24, 12, 0, 0)),
  messageId: "<fixed@zkusd.test>",
};

describe("SMTP client against a loopback server", () => {
  it("EHLO, AUTH PLAIN, MAIL FROM, RCPT TO each, DATA with headers and dot-stuffing, QUIT", async () => {
    current = smtpServer({ auth: ["PLAIN", "LOGIN"] });
    const port = await current.listen();
    const reply = await sendMail(
      { host: "127.0.0.1", port, auth: { user: "ops", pass: "s3cret" }, clientName: "guardian-1" },
      message,
    );
    expect(reply).toBe("250 2.0.0 Ok: queued as ABC123");
    expect(current.lines).toEqual([
      "EHLO guardian-1",
      `AUTH PLAIN ${Buffer.from("\0ops\0s3cret").toString("base64")}`,
      "MAIL FROM:<alerts@zkusd.test>",
      "RCPT TO:<ops@zkusd.test>",
      "RCPT TO:<oncall@zkusd.test>",
      "DATA",
      "QUIT",
    ]);
    expect(current.messages).toHaveLength(1);
    const [head, body] = current.messages[0]!.split("\r\n\r\n");
    expect(head!.split("\r\n")).toEqual([
      "From: alerts@zkusd.test",
      "To: ops@zkusd.test, oncall@zkusd.test",
      "Subject: [zkUSD CRITICAL] recovery-mode",
      "Date: Tue, 24 Nov 2026 12:00:00 +0000",
      "Message-ID: <fixed@zkusd.test>",
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
    ]);
    // On the wire every line starting with "." carries an extra one.
    expect(body).toBe("TCR 1.46\r\n..hidden line starts with a dot\r\n...two dots\r\nend");
  });

  it("AUTH LOGIN when the server offers only LOGIN", async () => {
    current = smtpServer({ auth: ["LOGIN"] });
    const port = await current.listen();
    await sendMail({ host: "127.0.0.1", port, auth: { user: "ops", pass: "pw" } }, message);
    expect(current.lines.slice(0, 4)).toEqual([
      "EHLO localhost",
      "AUTH LOGIN",
      Buffer.from("ops").toString("base64"),
      Buffer.from("pw").toString("base64"),
    ]);
  });

  it("a refused recipient fails with the server's code and sends no data", async () => {
    current = smtpServer({ rejectRcpt: "oncall@" });
    const port = await current.listen();
    const error = await sendMail({ host: "127.0.0.1", port }, message).catch((e) => e);
    expect(error).toBeInstanceOf(SmtpError);
    expect(error.code).toBe(550);
    expect(error.message).toBe("RCPT TO:<oncall@zkusd.test>: 550 5.1.1 No such user");
    expect(current.messages).toEqual([]);
  });

  it("upgrades with STARTTLS when offered, then EHLO again and authenticates inside TLS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zkusd-smtp-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const key = readFileSync(join(dir, "key.pem"), "utf8");
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    current = smtpServer({ auth: ["PLAIN"], tls: { key, cert } });
    const port = await current.listen();
    const reply = await sendMail(
      { host: "127.0.0.1", port, starttls: "always", auth: { user: "ops", pass: "pw" }, tls: { ca: cert } },
      message,
    );
    expect(reply).toMatch(/^250 /);
    expect(current.secured()).toBe(true);
    expect(current.lines.slice(0, 4)).toEqual([
      "EHLO localhost",
      "STARTTLS",
      "EHLO localhost",
      `AUTH PLAIN ${Buffer.from("\0ops\0pw").toString("base64")}`,
    ]);
    // An untrusted certificate is refused.
    current.lines.length = 0;
    await expect(sendMail({ host: "127.0.0.1", port, starttls: "always" }, message)).rejects.toThrow();
  });

  it("STARTTLS required but not offered is refused before any credentials are sent", async () => {
    current = smtpServer({ auth: ["PLAIN"] });
    const port = await current.listen();
    await expect(
      sendMail({ host: "127.0.0.1", port, starttls: "always", auth: { user: "u", pass: "p" } }, message),
    ).rejects.toThrow(/does not offer STARTTLS/);
    expect(current.lines).toEqual(["EHLO localhost"]);
  });

  it("refuses malformed addresses and unreachable relays with typed errors", async () => {
    await expect(
      sendMail({ host: "127.0.0.1", port: 1 }, { ...message, to: ["not an address"] }),
    ).rejects.toThrow(/is not an e-mail address/);
    await expect(sendMail({ host: "127.0.0.1", port: 1, timeoutMs: 2000 }, message)).rejects.toBeInstanceOf(
      SmtpError,
    );
  });

  it("dot-stuffing and the alert e-mail text", () => {
    expect(dotStuff(".\n..\nx.\n")).toBe("..\r\n...\r\nx.\r\n");
    const mail = alertEmail(
      {
        type: "fired",
        at: 0,
        alert: {
          id: "r:0",
          ruleId: "price-sources-down",
          metric: "priceSources",
          severity: "critical",
          title: "CRITICAL: price-sources-down",
          message: "priceSources below 3 (now 2)",
          description: "Fewer than 3 sources.",
          firedAt: 0,
          value: 2n,
          lastValue: 2n,
          resolvedAt: null,
          acknowledged: false,
        },
      },
      "guardian-1",
    );
    expect(mail.subject).toBe("[zkUSD CRITICAL] price-sources-down: priceSources below 3 (now 2)");
    expect(mail.text).toContain("Value:    2\n");
  });
});
