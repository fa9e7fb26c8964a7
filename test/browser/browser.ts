import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
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
  browser: Browser;
  /** The first context and its page: signed in as the server admin unless started with `signIn: false`. */
  context: BrowserContext;
  page: Page;
  /** A scratch folder for files to upload. */
  filesDir: string;
  /** Another browser context (its own cookies and storage, like a second browser), not signed in. */
  newPage(): Promise<Page>;
  /** A full-page screenshot of `page` (the first page by default) in test-output/screenshots/{name}.png. */
  screenshot(name: string, page?: Page): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a sign-in link (`/sign-in#key=…`, as the server logs at its first start) and waits until the app is
 * signed in: the key has left the address and the header names the workspace.
 */
export async function signInWithLink(page: Page, secret: string): Promise<void> {
  await page.goto(`/sign-in#key=${secret}`);
  await page.waitForURL((url) => url.pathname !== '/sign-in' && url.hash === '');
  await page.locator('.session-who').waitFor();
}

/** Signs in through the form on /sign-in, as a person pasting a key would. Does not wait for the outcome. */
export async function submitSignInForm(page: Page, secret: string): Promise<void> {
  if (new URL(page.url()).pathname !== '/sign-in') await page.goto('/sign-in');
  await page.getByLabel('API key', { exact: true }).fill(secret);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * The real server (PGlite + DuckDB) serving web/dist, and a fresh headless Debian Chromium driving it, signed in
 * with the bootstrap server-admin key's sign-in link (`signIn: false` leaves it on no page, signed out).
 */
export async function startBrowserApp(
  options: { env?: Record<string, string>; signIn?: boolean; worker?: boolean } = {},
): Promise<BrowserApp> {
  ensureBuilt();
  const app = await startTestApp({
    backend: 'pglite',
    env: { WEB_ROOT: webDist, ...options.env },
    ...(options.worker === false ? { worker: false } : {}),
  });
  const filesDir = await mkdtemp(path.join(tmpdir(), 'tributary-files-'));
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    await app.close();
    throw error;
  }
  const newContext = async () => {
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      baseURL: app.baseUrl,
    });
    context.setDefaultTimeout(20_000);
    return context;
  };
  const close = async () => {
    await browser.close().catch(() => {});
    await app.close();
    await rm(filesDir, { recursive: true, force: true });
  };
  let context: BrowserContext;
  let page: Page;
  try {
    context = await newContext();
    page = await context.newPage();
    if (options.signIn !== false) await signInWithLink(page, app.adminKey);
  } catch (error) {
    await close();
    throw error;
  }
  await mkdir(screenshotDir, { recursive: true });
  return {
    app,
    browser,
    context,
    page,
    filesDir,
    async newPage() {
      return (await newContext()).newPage();
    },
    async screenshot(name, shown = page) {
      await shown.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
    },
    close,
  };
}
