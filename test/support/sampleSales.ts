/**
 * A small sales CSV with known bad rows, known line numbers and known totals, for end-to-end tests.
 * Line 1 is the header; data row i (1-based) starts on line i + 1, except that row 3 holds a quoted
 * newline, so every row after it starts one line later.
 */
export interface SampleSales {
  csv: string;
  rowsTotal: number;
  rowsValid: number;
  rejections: { line: number; column: string | null; code: string }[];
  quantitySum: number;
  amountSum: number;
  minTime: string;
  maxTime: string;
}

export function sampleSalesCsv(rows = 200): SampleSales {
  const lines = ['order_id,order_date,region,product,quantity,amount'];
  const rejections: SampleSales['rejections'] = [];
  let quantitySum = 0;
  let amountSum = 0;
  let line = 1;
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = Number.NEGATIVE_INFINITY;
  for (let i = 1; i <= rows; i++) {
    line += 1;
    const day = 1 + (i % 28);
    const date = `2025-03-${String(day).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:15:00Z`;
    const quantity = 1 + (i % 7);
    const amount = Math.round(quantity * 9.99 * 100) / 100;
    if (i === 10) {
      lines.push(`${i},2025-02-30T10:00:00Z,EU,Widget,${quantity},${amount}`);
      rejections.push({ line, column: 'order_date', code: 'INVALID_TIMESTAMP' });
      continue;
    }
    if (i === 20) {
      lines.push(`${i},${date},EU,Widget,${quantity},${amount},extra`);
      rejections.push({ line, column: null, code: 'FIELD_COUNT_MISMATCH' });
      continue;
    }
    if (i === 30) {
      lines.push(`${i},${date},EU,Widget,${quantity},12.5.1`);
      rejections.push({ line, column: 'amount', code: 'INVALID_NUMBER' });
      continue;
    }
    if (i === 40) {
      lines.push(`${i},,EU,Widget,${quantity},${amount}`);
      rejections.push({ line, column: 'order_date', code: 'MISSING_TIMESTAMP' });
      continue;
    }
    const product = i === 3 ? '"Gift set, ""deluxe""\nwith card"' : i % 5 === 0 ? '"Bolt, M6"' : 'Widget';
    lines.push(`${i},${date},${i % 2 ? 'EU' : 'US'},${product},${quantity},${amount}`);
    if (i === 3) line += 1;
    quantitySum += quantity;
    amountSum += amount;
    const time = Date.parse(date);
    minTime = Math.min(minTime, time);
    maxTime = Math.max(maxTime, time);
  }
  return {
    csv: `${lines.join('\r\n')}\r\n`,
    rowsTotal: rows,
    rowsValid: rows - rejections.length,
    rejections,
    quantitySum,
    amountSum,
    minTime: new Date(minTime).toISOString(),
    maxTime: new Date(maxTime).toISOString(),
  };
}
