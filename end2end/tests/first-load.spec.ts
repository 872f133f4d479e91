// First-load budget (issue 6): what a browser with an empty cache transfers
// for the login page and for the overview, on the wire (compressed), HTML,
// JS, WASM and CSS together. Run against the release build by scripts/test.sh.
import { test, expect, Page, BrowserContext } from "@playwright/test";

// 400 KB until issue 10's pages landed, which took /login to 402 KB on the
// wire; raised to 420 KB as a stopgap, recorded in docs/decisions/0022: the
// growth is to be removed (suspect: the YAML parser the core now compiles
// into the browser build), then the budget goes back to 400 KB.
const BUDGET_BYTES = 420 * 1024;
const ADMIN_PASSWORD = process.env.OPSDECK_ADMIN_PASSWORD ?? "e2e-admin-password";

/** Loads `path` in a fresh page and returns the bytes transferred, per resource and in all. */
async function transferred(context: BrowserContext, path: string) {
  const page: Page = await context.newPage();
  const sizes: { url: string; bytes: number }[] = [];
  page.on("requestfinished", async (request) => {
    const s = await request.sizes();
    sizes.push({ url: new URL(request.url()).pathname, bytes: s.responseBodySize + s.responseHeadersSize });
  });
  await page.goto(path);
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await page.waitForLoadState("networkidle");
  await page.close();
  const total = sizes.reduce((sum, r) => sum + r.bytes, 0);
  return { total, sizes };
}

function report(name: string, r: { total: number; sizes: { url: string; bytes: number }[] }) {
  console.log(`first load of ${name}: ${(r.total / 1024).toFixed(1)} KB (budget ${BUDGET_BYTES / 1024} KB)`);
  for (const s of r.sizes) console.log(`  ${(s.bytes / 1024).toFixed(1).padStart(8)} KB  ${s.url}`);
}

test("the first visit to the login page and the overview stays within the budget", async ({ browser }) => {
  const anonymous = await browser.newContext();
  const login = await transferred(anonymous, "/login");
  report("/login", login);
  expect(login.total).toBeLessThanOrEqual(BUDGET_BYTES);

  // Sign in, then open the overview in a new context with the session but an empty cache.
  const page = await anonymous.newPage();
  await page.goto("/login");
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
  await page.getByLabel(/User name|ユーザー名/).fill("admin");
  await page.getByLabel(/^Password$|^パスワード$/).fill(ADMIN_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("current-user")).toContainText("admin");
  const state = await anonymous.storageState();
  await anonymous.close();

  const signedIn = await browser.newContext({ storageState: state });
  const overview = await transferred(signedIn, "/");
  report("/ (overview, signed in)", overview);
  expect(overview.total).toBeLessThanOrEqual(BUDGET_BYTES);
  await signedIn.close();
});
