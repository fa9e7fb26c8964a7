import type { DruidTaskReport } from './DruidClient.ts';

const MAX_LOG_LINES = 8;
const MAX_LINE = 500;

/**
 * The details of DRUID_TASK_FAILED: Druid's own error message (without its Java stack frames), the saved parse
 * exceptions of the report, and the telling lines of the task log (ERROR lines and exception messages, which say
 * e.g. which line of the file was unparseable), or else the log's last lines.
 */
export function druidFailureDetails(
  druidTaskId: string,
  errorMsg: string | null | undefined,
  report: DruidTaskReport | null,
  logTail: string | null,
): string {
  const parts = [`Druid task ${druidTaskId} failed: ${withoutStackFrames(errorMsg) || 'no error message'}`];
  if (report && report.parseExceptionMessages.length > 0) {
    parts.push(`parse errors: ${report.parseExceptionMessages.slice(0, 5).join(' | ')}`);
  }
  if (logTail) {
    const lines = logTail.split('\n').filter((line) => !/^\s+at |^\s*\.\.\. \d+ more/.test(line));
    const telling = [
      ...new Set(
        lines.filter((l) => / ERROR |ParseException:|Exception: |unparseable/i.test(l) && !l.includes('"errorMsg"')),
      ),
    ];
    const shown = telling.length > 0 ? telling.slice(-MAX_LOG_LINES) : lines.filter((l) => l.trim() !== '').slice(-5);
    parts.push(`task log:\n${shown.map((l) => l.slice(0, MAX_LINE)).join('\n')}`);
  }
  return parts.join('\n');
}

function withoutStackFrames(message: string | null | undefined): string {
  if (!message) return '';
  return message
    .split('\n')
    .filter((line) => !/^\s*at |^\s*\.\.\.\d* ?\d* ?(more|characters omitted)/.test(line.trim()))
    .join(' ')
    .trim()
    .slice(0, 2_000);
}
