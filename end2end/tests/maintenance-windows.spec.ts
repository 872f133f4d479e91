// Browser tests for planned maintenance (issue 12, R-MNT-1, R-MNT-2): the
// windows a year ahead, and the monthly cap refusing a plan with its reason.
import { test, expect } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

/** `YYYY-MM-DDTHH:MM` on the 20th (or `day`) of the month `months` from now. */
function localInput(months: number, day: number, hour: number): string {
  const d = new Date();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, day, hour, 0));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${target.getUTCFullYear()}-${pad(target.getUTCMonth() + 1)}-${pad(day)}T${pad(hour)}:00`;
}

test("an operator plans a 90-minute window in a month that already has 60 and sees it refused", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "operator", "opsdeck-demo-operator");
  await page.goto("/maintenance");
  await hydrated(page);
  // The monthly windows are there a year ahead, with their announcement state.
  await expect(page.getByTestId("window-row").first()).toBeVisible();
  expect(await page.getByTestId("window-row").count()).toBeGreaterThanOrEqual(12);
  await expect(page.getByTestId("maintenance-rules")).toContainText("120");

  // Beyond the generated year, a month starts empty: 60 minutes fit…
  const form = page.getByTestId("plan-form");
  await form.getByLabel(/^Start$|^開始$/).fill(localInput(15, 20, 1));
  await form.getByLabel(/Length|所要時間/).fill("60");
  await form.getByLabel(/^Reason$|^内容$/).fill("Storage migration");
  await page.getByTestId("plan-submit").click();
  await expect(page.getByTestId("plan-saved")).toBeVisible();

  // … 90 more in the same month are over the 2 h cap: refused, with the reason.
  await form.getByLabel(/^Start$|^開始$/).fill(localInput(15, 22, 1));
  await form.getByLabel(/Length|所要時間/).fill("90");
  await page.getByTestId("plan-submit").click();
  await expect(page.getByTestId("err-duration_minutes")).toContainText(/monthly cap|月間の計画メンテナンス上限/);

  // Too little notice is refused too.
  const soon = new Date(Date.now() + 2 * 24 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  await form.getByLabel(/^Start$|^開始$/).fill(`${soon.getUTCFullYear()}-${pad(soon.getUTCMonth() + 1)}-${pad(soon.getUTCDate())}T01:00`);
  await form.getByLabel(/Length|所要時間/).fill("30");
  await page.getByTestId("plan-submit").click();
  await expect(page.getByTestId("err-start")).toContainText(/7 days|7 日/);
  expect(errors).toEqual([]);
});

test("a viewer sees the planned windows and cannot plan", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await page.goto("/maintenance");
  await hydrated(page);
  await expect(page.getByTestId("window-row").first()).toBeVisible();
  await expect(page.getByTestId("plan-form")).toHaveCount(0);
  await page.goto("/");
  await expect(page.getByTestId("announcement-state")).toBeVisible();
  expect(errors).toEqual([]);
});
