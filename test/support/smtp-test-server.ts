import { writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { selfSignedCertificate, TestCertificate } from './self-signed-cert';

export interface ReceivedMail {
  /** Login the client authenticated as. */
  user: string | undefined;
  /** True when the message travelled over TLS (STARTTLS was done). */
  secure: boolean;
  mailFrom: string | undefined;
  rcptTo: string[];
  headers: Record<string, string>;
  /** The decoded body (quoted-printable / base64 undone); a multipart message's parts' bodies, one after the other. */
  body: string;
  /** A multipart message's parts (content type and decoded body); a single-part message: itself. */
  parts: { type: string; body: string }[];
  raw: string;
}

/**
 * A real SMTP server (smtp-server) for the e2e suites: STARTTLS with a throw-away self-signed certificate, login
 * required (AUTH is refused before STARTTLS), every accepted message kept in `received`.
 */
export class SmtpTestServer {
  readonly received: ReceivedMail[] = [];
  readonly certificate: TestCertificate = selfSignedCertificate();
  readonly user = 'mailer';
  readonly password = 'smtp-Pa55-word!';
  private readonly server: SMTPServer;

  constructor() {
    this.server = new SMTPServer({
      secure: false,
      key: this.certificate.key,
      cert: this.certificate.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      allowInsecureAuth: false,
      authOptional: false,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.user && auth.password === this.password)
          return callback(null, { user: auth.username });
        return callback(new Error('Invalid username or password'));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const { headers, body, parts } = parseMultipart(raw);
          this.received.push({
            parts,
            user: session.user as string | undefined,
            secure: session.secure,
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            rcptTo: session.envelope.rcptTo.map((a) => a.address),
            headers,
            body,
            raw,
          });
          callback();
        });
      },
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server as unknown as { server: { address(): AddressInfo } }).server.address().port;
  }

  /**
   * The service's settings that send through this server, listening on `port`: e-mails on, its login, and its
   * self-signed certificate trusted from `caFile` (written here).
   */
  serviceEnv(port: number, caFile: string): Record<string, string> {
    writeFileSync(caFile, this.certificate.cert);
    return {
      ENABLE_EMAILS: 'true',
      EMAILS_SMTP_SERVER_HOSTNAME: '127.0.0.1',
      EMAILS_SMTP_SERVER_PORT: String(port),
      EMAILS_SMTP_SERVER_USER_NAME: this.user,
      EMAILS_SMTP_SERVER_PWD: this.password,
      EMAILS_SMTP_SERVER_CA_FILE: caFile,
    };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** As parseMessage, and a multipart message's parts (one level) each decoded. */
function parseMultipart(raw: string) {
  const { headers, body } = parseMessage(raw);
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /^multipart\/[^;]+;.*boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return { headers, body, parts: [{ type, body }] };
  const parts = raw
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => parseMessage(part.replace(/^\r\n/, '')))
    .map((p) => ({ type: p.headers['content-type'] ?? 'text/plain', body: p.body }));
  return { headers, body: parts.map((p) => p.body).join('\n'), parts };
}

/** Headers (lower-case names, unfolded) and the body of a single-part message, its transfer encoding undone. */
export function parseMessage(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const encoded = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let body = encoded;
  if (cte === 'quoted-printable') {
    const percent = encoded
      .replace(/=\r\n/g, '')
      .replace(/%/g, '%25')
      .replace(/=([0-9A-F]{2})/gi, '%$1');
    body = decodeURIComponent(percent);
  } else if (cte === 'base64') {
    body = Buffer.from(encoded.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return { headers, body: body.replace(/\r\n/g, '\n') };
}
