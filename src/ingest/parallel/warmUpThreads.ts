import { FileValidation } from './FileValidation.ts';
import type { ValidationThreads } from './ValidationThreads.ts';

/**
 * Runs a synthetic sales file of ~1.5 MB through the validation threads in small chunks, so that each thread's copy of
 * the validator is compiled by V8 before the first real file (measured: a cold thread validates at about half speed for
 * its first ~100 MB). Its result is discarded.
 */
export async function warmUpThreads(threads: ValidationThreads): Promise<void> {
  const regions = ['EMEA', 'AMER', 'APAC'];
  const products = ['Desk lamp', '"Widget, large"', 'Kettle', '"Bolt 1/2"""', 'Café table'];
  let text = 'order_date,region,product,quantity,unit_price,amount\n';
  for (let i = 0; i < 20_000; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const quantity = 1 + (i % 9);
    const price = (5 + (i % 500) / 4).toFixed(2);
    text += `2025-03-${day}T10:${String(i % 60).padStart(2, '0')}:00Z,${regions[i % 3]},${products[i % 5]},${quantity},${price},${(quantity * Number(price)).toFixed(2)}\n`;
  }
  for (const output of ['csv', 'jsonl'] as const) {
    const validation = new FileValidation({ format: 'csv', schema: null, taskId: 'warm-up', output }, threads, {
      chunkBytes: 64 * 1024,
    });
    async function* file(): AsyncGenerator<Buffer> {
      yield Buffer.from(text);
    }
    for await (const _batch of validation.run(file()));
  }
}
