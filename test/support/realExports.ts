/**
 * Sales and operations exports as the tools people use write them — not as we would: a store-sales sample (21
 * columns, "Order Date", "Row ID", "Postal Code"), US Excel CSV (M/D/YYYY h:mm AM/PM, "$1,234.56"), European Excel
 * CSV (`;`, D.M.YYYY, "1.234,56 €", Windows-1252), Excel "Unicode Text" (UTF-16 LE, tabs), a price history ("Jan 1
 * 2000"), an incident log ("Flight Date"), an RFC 2822 mail-system export (`|`), an API dump with Unix seconds, an
 * accounting ledger (parentheses, trailing minus, %), and shop-floor times in a local time zone. Each comes with the
 * ledger and totals it must load with. Deterministic (no randomness): the same bytes on every run.
 */
export interface RealExport {
  name: string;
  filename: string;
  content: Buffer;
  /** REST fields of the upload (timestampColumn, dateOrder, timeZone, decimalSeparator). */
  reading?: Record<string, string>;
  expect: {
    status: 'SUCCEEDED' | 'FAILED';
    errorCode?: string;
    encoding?: string;
    delimiter?: string;
    timestampColumn?: string;
    rowsValid?: number;
    rowsRejected?: number;
    /** Sums of metrics as the store must hold them, rounded to cents. */
    totals?: Record<string, number>;
    minTime?: string;
    maxTime?: string;
    /** Columns that must be dimensions (identifiers), and ones that must be metrics. */
    dimensions?: string[];
    metrics?: string[];
  };
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = 86_400_000;
const round = (n: number) => Math.round(n * 100) / 100;
const thousands = (n: number, sep: string) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, sep);
/** 1234.5 → "1,234.50" (US) or "1.234,50" (EU). */
const money = (value: number, style: 'us' | 'eu') => {
  const [int, frac] = Math.abs(value).toFixed(2).split('.') as [string, string];
  return style === 'us' ? `${thousands(Number(int), ',')}.${frac}` : `${thousands(Number(int), '.')},${frac}`;
};
const dateOf = (i: number) => new Date(Date.UTC(2024, 0, 3) + ((i * 7) % 360) * DAY + (i % 24) * 3_600_000);
const csvLine = (cells: (string | number)[], delimiter = ',') =>
  cells
    .map((cell) => {
      const text = String(cell);
      return text.includes(delimiter) || text.includes('"') ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(delimiter);

function superstore(rows: number): RealExport {
  const header = [
    'Row ID',
    'Order ID',
    'Order Date',
    'Ship Date',
    'Ship Mode',
    'Customer ID',
    'Customer Name',
    'Segment',
    'Country',
    'City',
    'State',
    'Postal Code',
    'Region',
    'Product ID',
    'Category',
    'Sub-Category',
    'Product Name',
    'Sales',
    'Quantity',
    'Discount',
    'Profit',
  ];
  const lines = [header.join(',')];
  let sales = 0;
  let quantity = 0;
  let profit = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 1; i <= rows; i++) {
    const order = new Date(Date.UTC(2016, 0, 1) + ((i * 13) % 1400) * DAY);
    const ship = new Date(order.getTime() + (2 + (i % 5)) * DAY);
    const s = round(10 + ((i * 37) % 1000) + (i % 100) / 100);
    const q = 1 + (i % 9);
    const p = round(s * 0.12 - (i % 7));
    sales += s;
    quantity += q;
    profit += p;
    min = Math.min(min, order.getTime());
    max = Math.max(max, order.getTime());
    lines.push(
      csvLine([
        i,
        `CA-${2016 + (i % 4)}-${100000 + i}`,
        order.toISOString().slice(0, 10),
        ship.toISOString().slice(0, 10),
        ['Second Class', 'Standard Class', 'First Class', 'Same Day'][i % 4] as string,
        `CG-${12520 + (i % 300)}`,
        `Customer ${i % 300}, Jr.`,
        ['Consumer', 'Corporate', 'Home Office'][i % 3] as string,
        'United States',
        ['Henderson', 'Los Angeles', 'Fort Lauderdale'][i % 3] as string,
        ['Kentucky', 'California', 'Florida'][i % 3] as string,
        String(42420 + (i % 50)).padStart(5, '0'),
        ['South', 'West', 'East', 'Central'][i % 4] as string,
        `FUR-BO-${10001798 + i}`,
        ['Furniture', 'Office Supplies', 'Technology'][i % 3] as string,
        ['Bookcases', 'Chairs', 'Labels', 'Phones'][i % 4] as string,
        `Bush Somerset Collection Bookcase, ${i % 10}" shelf`,
        s,
        q,
        0,
        p,
      ]),
    );
  }
  return {
    name: 'a store-sales sample: "Order Date" and "Ship Date", "Row ID" and "Postal Code" are identifiers',
    filename: 'Sample - Superstore.csv',
    content: Buffer.from(`${lines.join('\r\n')}\r\n`),
    expect: {
      status: 'SUCCEEDED',
      timestampColumn: 'Order Date',
      delimiter: ',',
      rowsValid: rows,
      rowsRejected: 0,
      totals: { Sales: round(sales), Quantity: quantity, Profit: round(profit) },
      minTime: new Date(min).toISOString(),
      maxTime: new Date(max).toISOString(),
      dimensions: ['Row ID', 'Postal Code', 'Customer ID', 'Ship Date'],
      metrics: ['Sales', 'Quantity', 'Discount', 'Profit'],
    },
  };
}

function usExcel(rows: number): RealExport {
  const lines = ['Transaction Date,Store,SKU,Units,Amount'];
  let units = 0;
  let amount = 0;
  for (let i = 0; i < rows; i++) {
    const d = dateOf(i);
    const h = d.getUTCHours();
    const time = `${h % 12 === 0 ? 12 : h % 12}:${String((i * 7) % 60).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
    const u = 1 + (i % 12);
    const a = round(u * 104.99 + (i % 3) * 1000);
    units += u;
    amount += a;
    lines.push(
      csvLine([
        `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${time}`,
        `Store #${i % 9}`,
        100200 + (i % 40),
        u,
        `$${money(a, 'us')}`,
      ]),
    );
  }
  lines.push('2/30/2024 10:00 AM,Store #1,100200,1,$1.00'); // no such day: rejected, the rest loads
  return {
    name: 'US Excel CSV: M/D/YYYY h:mm AM/PM, "$1,234.56", a 30 February rejected',
    filename: 'sales_us.csv',
    content: Buffer.from(`${lines.join('\r\n')}\r\n`),
    expect: {
      status: 'SUCCEEDED',
      timestampColumn: 'Transaction Date',
      rowsValid: rows,
      rowsRejected: 1,
      totals: { Units: units, Amount: round(amount) },
      dimensions: ['SKU'],
      metrics: ['Units', 'Amount'],
    },
  };
}

function europeanExcel(rows: number): RealExport {
  const stores = ['Köln', 'München', 'Düsseldorf', 'Zürich'];
  const lines = ['Datum;Filiale;Umsatz;Menge;Rabatt'];
  let revenue = 0;
  let quantity = 0;
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rows; i++) {
    const d = dateOf(i);
    const r = round(((i * 7919) % 250000) / 100 + 1000);
    const q = 1 + (i % 5);
    revenue += r;
    quantity += q;
    const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    min = Math.min(min, day.getTime());
    lines.push(
      [
        `${String(d.getUTCDate()).padStart(2, '0')}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${d.getUTCFullYear()}`,
        stores[i % 4],
        `${money(r, 'eu')} €`,
        q,
        `${(i % 4) * 5} %`,
      ].join(';'),
    );
  }
  // Windows-1252: what Excel saves as "CSV (semicolon-delimited)" on a German Windows.
  const cp1252 = Buffer.from(`${lines.join('\r\n')}\r\n`.replace(/€/g, '\u0080'), 'latin1');
  return {
    name: 'European Excel CSV: ";", D.M.YYYY, "1.234,56 €", "5 %", Windows-1252 (Köln, München)',
    filename: 'umsatz.csv',
    content: cp1252,
    expect: {
      status: 'SUCCEEDED',
      encoding: 'windows-1252',
      delimiter: ';',
      timestampColumn: 'Datum',
      rowsValid: rows,
      rowsRejected: 0,
      totals: { Umsatz: round(revenue), Menge: quantity },
      minTime: new Date(min).toISOString(),
      metrics: ['Umsatz', 'Menge', 'Rabatt'],
    },
  };
}

function unicodeText(rows: number): RealExport {
  const lines = ['Invoice Date\tInvoice No\tCustomer\tNet Amount'];
  let net = 0;
  for (let i = 0; i < rows; i++) {
    const d = dateOf(i * 3);
    const n = round(((i * 31) % 5000) + 0.25);
    net += n;
    lines.push(
      `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}\tINV-${9000 + i}\tCliente ${i % 20} — São Paulo\t${money(n, 'us')}`,
    );
  }
  return {
    name: 'Excel "Unicode Text": UTF-16 LE with BOM, tab-delimited, non-Latin-1 text',
    filename: 'invoices.txt',
    content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf16le')]),
    expect: {
      status: 'SUCCEEDED',
      encoding: 'utf-16le',
      delimiter: '\t',
      timestampColumn: 'Invoice Date',
      rowsValid: rows,
      rowsRejected: 0,
      totals: { 'Net Amount': round(net) },
      dimensions: ['Invoice No'],
    },
  };
}

function priceHistory(rows: number): RealExport {
  const lines = ['date,price'];
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const d = new Date(Date.UTC(2000, 0, 1) + i * 31 * DAY);
    const p = round(25 + i * 0.37);
    sum += p;
    lines.push(`${MON[d.getUTCMonth()]} ${d.getUTCDate()} ${d.getUTCFullYear()},${p}`);
  }
  return {
    name: 'a price history with dates like "Jan 1 2000"',
    filename: 'prices.csv',
    content: Buffer.from(`${lines.join('\n')}\n`),
    expect: {
      status: 'SUCCEEDED',
      timestampColumn: 'date',
      rowsValid: rows,
      totals: { price: round(sum) },
      minTime: '2000-01-01T00:00:00.000Z',
    },
  };
}

function incidentLog(rows: number): RealExport {
  const lines = ['Incident Number,Flight Date,Carrier,Flight Number,Injuries,Delay Minutes'];
  let injuries = 0;
  let delay = 0;
  for (let i = 0; i < rows; i++) {
    const d = dateOf(i * 5);
    injuries += i % 3;
    delay += (i * 11) % 300;
    lines.push(
      csvLine([
        `IN-${70000 + i}`,
        d.toISOString().slice(0, 10),
        ['AA', 'DL', 'UA'][i % 3] as string,
        100 + (i % 900),
        i % 3,
        (i * 11) % 300,
      ]),
    );
  }
  return {
    name: 'an incident log with "Flight Date"; "Incident Number" and "Flight Number" are identifiers',
    filename: 'incidents.csv',
    content: Buffer.from(`${lines.join('\n')}\n`),
    expect: {
      status: 'SUCCEEDED',
      timestampColumn: 'Flight Date',
      rowsValid: rows,
      totals: { Injuries: injuries, 'Delay Minutes': delay },
      dimensions: ['Incident Number', 'Flight Number'],
    },
  };
}

function mailExport(rows: number): RealExport {
  const weekdays = ['Thu', 'Fri', 'Sat', 'Sun', 'Mon', 'Tue', 'Wed'];
  const lines = ['Created|Order Ref|Total'];
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const d = new Date(Date.UTC(1970, 0, 1) + (20089 + i) * DAY + 9 * 3_600_000);
    const t = round(i * 1.5 + 3);
    total += t;
    const weekday = weekdays[Math.floor(d.getTime() / DAY) % 7] as string;
    lines.push(
      `${weekday}, ${d.getUTCDate()} ${MON[d.getUTCMonth()]} ${d.getUTCFullYear()} 11:00:00 +0200|R-${i}|${t}`,
    );
  }
  return {
    name: 'RFC 2822 dates ("Tue, 1 Jul 2025 11:00:00 +0200"), "|"-delimited',
    filename: 'orders.psv',
    content: Buffer.from(`${lines.join('\n')}\n`),
    expect: {
      status: 'SUCCEEDED',
      delimiter: '|',
      timestampColumn: 'Created',
      rowsValid: rows,
      totals: { Total: round(total) },
      minTime: new Date(Date.UTC(1970, 0, 1) + 20089 * DAY + 9 * 3_600_000).toISOString(),
    },
  };
}

function epochDump(rows: number): RealExport {
  const lines = ['created_at,order_id,amount_cents'];
  let cents = 0;
  const base = 1_735_689_600; // 2025-01-01T00:00:00Z
  for (let i = 0; i < rows; i++) {
    cents += 100 + i;
    lines.push(`${base + i * 3600},${5_000_000 + i},${100 + i}`);
  }
  return {
    name: 'an API dump with Unix seconds in created_at',
    filename: 'orders.csv',
    content: Buffer.from(`${lines.join('\n')}\n`),
    expect: {
      status: 'SUCCEEDED',
      timestampColumn: 'created_at',
      rowsValid: rows,
      totals: { amount_cents: cents },
      minTime: '2025-01-01T00:00:00.000Z',
      maxTime: new Date((base + (rows - 1) * 3600) * 1000).toISOString(),
      dimensions: ['order_id'],
    },
  };
}

function ledger(): RealExport {
  const rows = [
    ['2025-01-02', '"1,234.56"', '12.5%'],
    ['2025-01-03', '"(1,000.00)"', '-2%'],
    ['2025-01-04', '250.00-', '100%'],
    ['2025-01-05', 'USD 10', '0.5%'],
  ];
  return {
    name: 'an accounting ledger: parentheses and a trailing minus for negatives, "USD 10", percentages',
    filename: 'ledger.csv',
    content: Buffer.from(`posting_date,amount,margin\n${rows.map((r) => r.join(',')).join('\n')}\n`),
    expect: {
      status: 'SUCCEEDED',
      rowsValid: 4,
      totals: { amount: round(1234.56 - 1000 - 250 + 10), margin: round(0.125 - 0.02 + 1 + 0.005) },
    },
  };
}

function shopFloor(): RealExport {
  return {
    name: "local times read in the upload's timeZone (Europe/Berlin: winter +01:00, summer +02:00)",
    filename: 'shifts.csv',
    content: Buffer.from('timestamp,units\n2025-01-15 08:00,3\n2025-07-15 08:00,4\n2025-07-15T08:00:00Z,5\n'),
    reading: { timeZone: 'Europe/Berlin' },
    expect: {
      status: 'SUCCEEDED',
      rowsValid: 3,
      totals: { units: 12 },
      minTime: '2025-01-15T07:00:00.000Z',
      maxTime: '2025-07-15T08:00:00.000Z',
    },
  };
}

/** Dates whose days are all 12 or less: month-first and day-first read them alike. */
export function ambiguousExport(): { content: Buffer; rows: number; units: number } {
  const lines = ['Order Date,Units'];
  let units = 0;
  for (let i = 0; i < 40; i++) {
    units += i + 1;
    lines.push(`${1 + (i % 12)}/${1 + ((i * 5) % 12)}/2025,${i + 1}`);
  }
  return { content: Buffer.from(`${lines.join('\n')}\n`), rows: 40, units };
}

export const realExports: RealExport[] = [
  superstore(2000),
  usExcel(500),
  europeanExcel(400),
  unicodeText(300),
  priceHistory(240),
  incidentLog(300),
  mailExport(120),
  epochDump(500),
  ledger(),
  shopFloor(),
];
