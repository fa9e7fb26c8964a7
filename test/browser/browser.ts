import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/testApp.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
export const webDist = path.join(repoRoot, 'web', 'dist');
export const screenshotDir = path.join(repoRoot, 'test-output', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the web app once when web/dist is missing (npm install builds it; a fresh checkout may not have). */
function ensureBuilt(): void {
  if (existsSync(path.join(webDist, 'index.html'))) return;
  execFileSync('npx', ['vite', 'build', 'web', '--logLevel', 'warn'], { cwd: repoRoot, stdio: 'inherit' });
}

export interface BrowserApp {
  app: TestApp;
  context: BrowserContext;
  page: Page;
  /** A scratch folder for files to upload. */
  filesDir: string;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** The real server (PGlite + DuckDB) serving web/dist, and a fresh headless Debian Chromium driving it. */
export async function startBrowserApp(options: { env?: Record<string, string> } = {}): Promise<BrowserApp> {
  ensureBuilt();
  const app = await startTestApp({ backend: 'pglite', env: { WEB_ROOT: webDist, ...options.env } });
  const profile = await mkdtemp(path.join(tmpdir(), 'tributary-chromium-'));
  const filesDir = await mkdtemp(path.join(tmpdir(), 'tributary-files-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      baseURL: app.baseUrl,
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  await mkdir(screenshotDir, { recursive: true });
  return {
    app,
    context,
    page,
    filesDir,
    async screenshot(name) {
      await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close().catch(() => {});
      await app.close();
      await rm(profile, { recursive: true, force: true });
      await rm(filesDir, { recursive: true, force: true });
    },
  };
}
