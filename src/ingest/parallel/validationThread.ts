/**
 * The body of a validation thread (ValidationThreads): validates the segments of files it is sent, one RowValidator
 * per open segment (a segment whose last row goes on in the next chunk stays open until that chunk arrives).
 */
import { parentPort } from 'node:worker_threads';
import { OutputBuffer } from '../OutputBuffer.ts';
import { RowValidator } from '../RowValidator.ts';
import type { PushReply, PushRequest, ThreadReply, ThreadRequest } from './threadMessages.ts';

if (!parentPort) throw new Error('validationThread.ts runs in a worker thread');
const port = parentPort;
const open = new Map<string, RowValidator>();
/** One output buffer for every validator of this thread: pushes run one at a time, each takes its output out. */
const outputBuffer = new OutputBuffer();

port.on('message', (request: ThreadRequest) => {
  if (request.type === 'drop') {
    const prefix = `${request.run}:`;
    for (const key of [...open.keys()]) {
      if (request.segment === undefined ? key.startsWith(prefix) : key === `${prefix}${request.segment}`) {
        open.delete(key);
      }
    }
    return;
  }
  let reply: ThreadReply;
  try {
    reply = push(request);
  } catch (error) {
    open.delete(`${request.run}:${request.segment}`);
    // what the failed push wrote must not become the next push's output
    outputBuffer.length = 0;
    reply = { id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  const transfer =
    'output' in reply && reply.output.byteOffset === 0 && reply.output.buffer.byteLength === reply.output.length
      ? [reply.output.buffer as ArrayBuffer]
      : [];
  port.postMessage(reply, transfer);
});

function push(request: PushRequest): PushReply {
  const key = `${request.run}:${request.segment}`;
  let validator = open.get(key);
  if (!validator) {
    if (!request.start) throw new Error(`segment ${key} is not open in this thread`);
    validator = new RowValidator({ ...request.start, outputBuffer });
    open.set(key, validator);
  }
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  const batch = validator.push(bytes);
  let output = batch.output;
  let rejections = batch.rejections;
  if (request.final) {
    const last = validator.end();
    if (last.output.length > 0) output = Buffer.concat([output, last.output]);
    if (last.rejections.length > 0) rejections = [...rejections, ...last.rejections];
  }
  const complete = request.final || validator.atRowStart;
  if (complete) open.delete(key);
  return {
    id: request.id,
    output,
    rejections,
    complete,
    lines: validator.linesConsumed,
    totals: validator.partialTotals(),
  };
}
