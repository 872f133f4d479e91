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
  page.on("response", (r) => {
    if (r.status() >= 500) errors.push(`${r.status()} ${r.url()}`);
  });
  page.on("console", (m: ConsoleMessage) => {
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) return;
    if (m.type() === "error" || (m.type() === "warning" && /hydrat/i.test(m.text()))) {
      errors.push(`${m.type()}: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

/** Waits until the WASM has hydrated the page (the app marks the body). */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}

/** Signs in through the login form and waits for the signed-in frame. */
export async function login(page: Page, username: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel(/User name|ユーザー名/).fill(username);
  await page.getByLabel(/^Password$|^パスワード$/).fill(password);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("current-user")).toBeVisible();
}
