import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DruidRowStats } from './DruidClient.ts';
import { druidFailureDetails } from './failureDetails.ts';
import { reconcileRowStats } from './reconcileRowStats.ts';

const stats = (processed: number, extra: Partial<DruidRowStats> = {}): DruidRowStats => ({
  processed,
  processedWithError: 0,
  unparseable: 0,
  thrownAway: 0,
  ...extra,
});

describe('reconcileRowStats', () => {
  test('agrees when both phases read every row (what Druid 33 reports for a sequential task)', () => {
    assert.equal(reconcileRowStats({ determinePartitions: stats(1000), buildSegments: stats(1000) }, 1000), null);
  });

  test('agrees when determinePartitions did not run', () => {
    assert.equal(reconcileRowStats({ determinePartitions: stats(0), buildSegments: stats(7) }, 7), null);
    assert.equal(reconcileRowStats({ buildSegments: stats(7) }, 7), null);
  });

  test('names every counter that differs', () => {
    const problem = reconcileRowStats(
      { determinePartitions: stats(10, { unparseable: 1 }), buildSegments: stats(9, { thrownAway: 2 }) },
      11,
    );
    assert.match(problem ?? '', /buildSegments processed 9 rows, validation accepted 11/);
    assert.match(problem ?? '', /determinePartitions processed 10 rows/);
    assert.match(problem ?? '', /determinePartitions\.unparseable = 1/);
    assert.match(problem ?? '', /buildSegments\.thrownAway = 2/);
  });

  test('a report without buildSegments does not reconcile', () => {
    assert.match(reconcileRowStats({}, 0) ?? '', /no buildSegments/);
  });
});

describe('druidFailureDetails', () => {
  const errorMsg =
    'org.apache.druid.java.util.common.RE: Max parse exceptions[0] exceeded\n\tat org.apache.druid.X.y(X.java:96)\n\tat a.b(C.java:1)';
  const log = [
    '2026-11-26T21:45:24,600 INFO [task-runner] org.apache.druid.Foo - starting',
    '2026-11-26T21:45:24,621 ERROR [task-runner-0-priority-0] org.apache.druid.segment.incremental.ParseExceptionHandler - Encountered parse exception',
    'org.apache.druid.java.util.common.parsers.ParseException: Timestamp[garbage] is unparseable! Event: {__time=garbage} (Path: s3://b/k, Record: 3, Line: 3)',
    '\tat org.apache.druid.Bar.baz(Bar.java:1)',
    '  "errorMsg" : "org.apache.druid.java.util.common.RE: Max parse exceptions[0] exceeded\\n\\tat ..."',
    'Finished peon task',
  ].join('\n');

  test("Druid's message without stack frames, then the telling log lines", () => {
    const details = druidFailureDetails('t_a1', errorMsg, null, log);
    assert.match(
      details,
      /^Druid task t_a1 failed: org\.apache\.druid\.java\.util\.common\.RE: Max parse exceptions\[0\] exceeded\n/,
    );
    assert.doesNotMatch(details, /X\.java|Bar\.java|"errorMsg"|INFO/);
    assert.match(details, /Timestamp\[garbage\] is unparseable!.*Line: 3/);
    assert.match(details, /ERROR .*Encountered parse exception/);
  });

  test('saved parse exceptions of the report are quoted; without a log only the message remains', () => {
    const details = druidFailureDetails(
      't_a1',
      null,
      {
        ingestionState: 'BUILD_SEGMENTS',
        errorMsg: null,
        rowStats: {},
        parseExceptionMessages: ['Unable to parse row [x]'],
        segmentsPublished: null,
      },
      null,
    );
    assert.equal(details, 'Druid task t_a1 failed: no error message\nparse errors: Unable to parse row [x]');
  });

  test('a log without telling lines contributes its last lines', () => {
    const details = druidFailureDetails('t', 'boom', null, 'a\nb\nc\n');
    assert.equal(details, 'Druid task t failed: boom\ntask log:\na\nb\nc');
  });
});
