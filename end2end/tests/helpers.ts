// Shared by the browser tests: console watching, hydration and login.
import { expect, Page, ConsoleMessage } from "@playwright/test";

export const ADMIN_PASSWORD = process.env.OPSDECK_ADMIN_PASSWORD ?? "e2e-admin-password";

/**
 * Collects console errors, page errors and 5xx answers; every test asserts there are none.
 * Chromium also logs each 4xx answer as "Failed to load resource": those are the
 * refusals the tests provoke on purpose (401, 403, 404, 422) and are not counted.
 */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  // Leaving a page while its lazy WASM chunk still downloads aborts the
  // download; the page being left then reports that and the loader's panic.
  // That is the browser cancelling work nobody will see, not an app error:
  // ignored until the next document is shown.
  let leaving = false;
  page.on("framenavigated", (f) => {
    if (f === page.mainFrame()) leaving = false;
  });
  page.on("response", (r) => {
    if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`);
  });
  page.on("console", (m: ConsoleMessage) => {
    const text = m.text();
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    if (
      /WebAssembly compilation aborted: Network error: Response body loading was aborted/.test(text) ||
      (/TypeError: Failed to fetch/.test(text) && /__wasm_split/.test(text))
    ) {
      leaving = true;
      return;
    }
    if (leaving && /panicked at app\/src\/lib\.rs/.test(text)) return;
    if (m.type() === "error" || (m.type() === "warning" && /hydrat/i.test(text))) {
      errors.push(`${m.type()}: ${text}`);
    }
  });
  page.on("pageerror", (e) => {
    if (leaving && e.message === "unreachable") return;
    errors.push(`pageerror: ${e.message}`);
  });
  return errors;
}

/** Waits until the WASM has hydrated the page (the app marks the body). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  // A lazy page hydrates after the frame, once its chunk has arrived.
  await expect(page.locator("[data-lazy-page]:not([data-ready])")).toHaveCount(0);
}

/** Fills in and submits the login form (the answer may be a refusal). */
export async function submitLogin(page: Page, username: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel(/User name|ユーザー名/).fill(username);
  await page.getByLabel(/^Password$|^パスワード$/).fill(password);
  await page.getByTestId("login-submit").click();
}

/** Signs in through the login form and waits for the signed-in frame. */
export async function login(page: Page, username: string, password: string) {
  await submitLogin(page, username, password);
  await expect(page.getByTestId("current-user")).toBeVisible();
}
