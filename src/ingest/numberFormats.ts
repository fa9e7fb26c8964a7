import { parseNumberBytes } from './number.ts';

/** The decimal separator of a file's numbers: `.` (1,234.56) or `,` (1.234,56). */
export type DecimalSeparator = '.' | ',';

/**
 * Numbers as spreadsheets and exports write them (docs/API.md, "Numbers"), besides plain decimals (`-3.5`, `1e3`):
 * - thousands separators in groups of three: `1,234,567.89`, `1.234.567,89`, `1 234 567,89`, `1'234'567.89`;
 * - a currency symbol or an ISO 4217 code before or after the number, with or without a space: `$1,234.56`,
 *   `1.234,56 €`, `EUR 12`, `12 USD`, `-$5`, `$-5`;
 * - negatives as a leading or trailing minus, or in accounting parentheses: `(1,234.56)`, `1234-`;
 * - a trailing `%`: the value divided by 100 (`12.5%` is 0.125).
 * The decimal separator is one per file: `,` when the upload says so, when the file's delimiter is `;`, or when the
 * sample shows it unambiguously; `.` otherwise.
 */
export class NumberReader {
  readonly decimalSeparator: DecimalSeparator;
  /** Set by `read`: the value had a currency or a percent sign (such a column is stored as double). */
  decorated = false;

  constructor(decimalSeparator: DecimalSeparator) {
    this.decimalSeparator = decimalSeparator;
  }

  /** The number in bytes[start, end), or NaN. */
  readBytes(bytes: Uint8Array, start: number, end: number): number {
    this.decorated = false;
    if (this.decimalSeparator === '.') {
      const plain = parseNumberBytes(bytes, start, end);
      if (!Number.isNaN(plain)) return plain;
    }
    return this.read(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'));
  }

  /** The number in `text`, or NaN. */
  read(text: string): number {
    this.decorated = false;
    let s = text.trim();
    // No number people write is this long; a longer cell is text (and no pattern below runs on it).
    if (s === '' || s.length > MAX_NUMBER_CHARS) return Number.NaN;
    s = s.replace(/\u2212/g, '-');
    let parenthesised = false;
    if (s.startsWith('(') && s.endsWith(')')) {
      parenthesised = true;
      s = s.slice(1, -1).trim();
    }
    let percent = false;
    if (s.endsWith('%')) {
      percent = true;
      s = s.slice(0, -1).trim();
    }
    let sign = 0;
    if (s.endsWith('-')) {
      sign = -1; // "12,50 €-" and "12,50- €" both
      s = s.slice(0, -1).trim();
    }
    const currency = stripCurrency(s);
    if (currency !== null) s = currency;
    if (s.startsWith('-') || s.startsWith('+')) {
      if (sign !== 0) return Number.NaN;
      sign = s.startsWith('-') ? -1 : 1;
      s = s.slice(1).trim();
    } else if (s.endsWith('-')) {
      if (sign !== 0) return Number.NaN;
      sign = -1;
      s = s.slice(0, -1).trim();
    }
    // Two signs ("-$-5", "(-5)") are not a number.
    if ((sign !== 0 && parenthesised) || /^[-+]|[-+]$/.test(s)) return Number.NaN;
    const digits = this.#digits(s);
    if (digits === null) return Number.NaN;
    // Exact decimal shifts: 0.07% is 0.0007, not 0.07 / 100 = 0.0007000000000000001.
    const value = finite(Number(percent ? `${digits}e-2` : digits));
    if (Number.isNaN(value)) return Number.NaN;
    this.decorated = percent || currency !== null;
    return parenthesised || sign < 0 ? -value : value;
  }

  /**
   * An unsigned number with this file's separators, as plain decimal text: `1234.5`, `1,234.5`, `1.5e3` (decimal
   * `.`); `1.234,5` (`,`). A thousands group never starts the number with 0 (`0,250` is not 250).
   */
  #digits(s: string): string | null {
    const decimal = this.decimalSeparator;
    const pattern = decimal === '.' ? DOT_DECIMAL : COMMA_DECIMAL;
    const m = pattern.exec(s);
    if (m === null) return decimal === '.' && PLAIN.test(s) ? s : null;
    const integer = (m[1] as string).replace(/[^0-9]/g, '');
    const fraction = m[3] ?? '';
    return fraction === '' ? integer : `${integer}.${fraction}`;
  }
}

/** Longer (trimmed) cells are never numbers: every pattern below then runs on at most this many characters. */
const MAX_NUMBER_CHARS = 400;

/**
 * ISO 4217 codes that exports put beside amounts. A list, not any three capital letters: "SKU-12345" and "ABC 123"
 * are codes of things, not amounts.
 */
const CURRENCY_CODES = new Set(
  (
    'USD EUR GBP JPY CHF CAD AUD NZD CNY RMB HKD SGD SEK NOK DKK ISK PLN CZK HUF RON BGN HRK RSD UAH RUB TRY ILS AED ' +
    'SAR QAR KWD BHD OMR EGP MAD NGN KES ZAR INR PKR BDT LKR IDR MYR THB PHP VND KRW TWD BRL MXN ARS CLP COP PEN UYU'
  ).split(' '),
);
const SYMBOL_BEFORE = /^(-?)\s*(?:[$€£¥₹₩₽¢₺₪₫₴₦]|R\$|US\$|([A-Z]{3}))\s*/;
const SYMBOL_AFTER = /(?:[$€£¥₹₩₽¢₺₪₫₴₦]|([A-Z]{3}))$/;

/** The text without a currency symbol or code before or after the number (a sign before the symbol is kept), or null. */
function stripCurrency(s: string): string | null {
  const before = SYMBOL_BEFORE.exec(s);
  if (before && (before[2] === undefined || CURRENCY_CODES.has(before[2])) && before[0].length < s.length) {
    return `${before[1]}${s.slice(before[0].length)}`;
  }
  const after = SYMBOL_AFTER.exec(s);
  if (after && (after[1] === undefined || CURRENCY_CODES.has(after[1])) && after.index > 0) {
    return s.slice(0, after.index).trimEnd();
  }
  return null;
}

// `1,234,567.89` or `1234567.89` (thousands `,`, space, no-break space, narrow no-break space, or `'`).
const DOT_DECIMAL = /^((?:[1-9]\d{0,2}(?:([,\u00a0\u202f ']?)\d{3})?(?:\2\d{3})*)|\d+)(?:\.(\d+))?$/;
// `1.234.567,89` or `1234567,89` (thousands `.`, space, no-break space or narrow no-break space).
const COMMA_DECIMAL = /^((?:[1-9]\d{0,2}(?:([.\u00a0\u202f ]?)\d{3})?(?:\2\d{3})*)|\d+)(?:,(\d+))?$/;
const PLAIN = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

function finite(value: number): number {
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * The decimal separator the sampled values of the numeric-looking columns show: `,` when some value can only be
 * read with a decimal comma (`12,5`, `1.234,56`) and none only with a decimal point (`12.5`, `1,234.56`), `.` in the
 * opposite case, `byDefault` otherwise (a value such as `1,234` reads either way and decides nothing).
 */
export function detectDecimalSeparator(values: Iterable<string>, byDefault: DecimalSeparator = '.'): DecimalSeparator {
  let commaOnly = 0;
  let dotOnly = 0;
  const dot = new NumberReader('.');
  const comma = new NumberReader(',');
  for (const value of values) {
    const byDot = dot.read(value);
    const byComma = comma.read(value);
    if (Number.isNaN(byDot) && !Number.isNaN(byComma)) commaOnly++;
    else if (!Number.isNaN(byDot) && Number.isNaN(byComma)) dotOnly++;
    else if (!Number.isNaN(byDot) && byDot !== byComma && /[.,]\d{1,2}$|[.,]\d{4,}$/.test(value.trim())) {
      // Both read it, differently: `1,5` is 15 by one and 1.5 by the other; `12.5` is 12.5 or 125. A group of
      // three digits after the separator (`1,234`) decides nothing; any other length decides.
      if (/,\d{1,2}$|,\d{4,}$/.test(value.trim())) commaOnly++;
      else dotOnly++;
    }
  }
  if (commaOnly > 0 && dotOnly === 0) return ',';
  if (dotOnly > 0 && commaOnly === 0) return '.';
  return byDefault;
}
