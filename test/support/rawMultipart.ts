import { request } from 'node:http';

export interface RawPart {
  name: string;
  value: string | Buffer;
  filename?: string;
}

/** A multipart/form-data body written by hand, so tests can send what no well-behaved client would. */
export function multipartBody(
  parts: RawPart[],
  boundary = `----tributary${Date.now()}`,
): {
  body: Buffer;
  contentType: string;
} {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`;
    const type = part.filename !== undefined ? 'Content-Type: application/octet-stream\r\n' : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Milliseconds from the request's start to the end of the answer. */
  ms: number;
}

/**
 * Sends a request whose body is written piece by piece with pauses (to play a slow or stalled client); resolves
 * with the answer, or with status 0 when the server closed the connection without one.
 */
export function slowRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    pieces: Buffer[];
    pauseMs: number;
    /** Stop writing after this many pieces (a client that stalls for good). */
    stopAfter?: number;
  },
): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (response: RawResponse) => {
      if (settled) return;
      settled = true;
      resolve(response);
    };
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }),
      );
      res.on('error', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }),
      );
    });
    req.on('error', () => done({ status: 0, headers: {}, body: '', ms: performance.now() - started }));
    let index = 0;
    const writeNext = () => {
      if (settled || req.destroyed) return;
      if (options.stopAfter !== undefined && index >= options.stopAfter) return;
      if (index >= options.pieces.length) {
        req.end();
        return;
      }
      req.write(options.pieces[index++]);
      setTimeout(writeNext, options.pauseMs);
    };
    writeNext();
  });
}
