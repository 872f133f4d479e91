// Browser tests for costs (issue 12, R-COST-1..3): finance imports a CSV with
// one bad line and sees its line number and nothing imported, fixes it,
// crosses 80 % and sees exactly one alert; a viewer sees the chart and no
// edit controls.
import { test, expect, Page } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

/** Entries of the month shown, as the table (or its empty state) reports them. */
async function entriesTotal(page: Page): Promise<number> {
  const list = page.locator("[data-testid=entries], [data-testid=entries-empty]");
  await expect(list).toHaveCount(1);
  return Number(await list.getAttribute("data-total"));
}

async function openCosts(page: Page) {
  await page.goto("/costs");
  await hydrated(page);
  await expect(page.getByTestId("costs-answer")).toBeVisible();
}

test("finance imports a CSV: the bad line is named and nothing imported; fixed, 80 % is crossed and alerts once", async ({ page }) => {
  const errors = watchConsole(page);
  page.on("dialog", (d) => d.accept());
  await login(page, "finance", "opsdeck-demo-finance");
  await openCosts(page);
  const answer = page.getByTestId("costs-answer");
  const mtd = Number(await answer.getAttribute("data-mtd"));
  const budget = Number(await answer.getAttribute("data-budget"));
  const today = await answer.getAttribute("data-as-of");
  // The demo month stays below 80 %; nothing has alerted by actual spend yet.
  expect(mtd).toBeLessThan(budget * 0.8);
  await expect(page.locator("[data-testid^=alert-actual-]")).toHaveCount(0);
  const before = await entriesTotal(page);
  // Enough to reach 85 % of the budget (cents → dollars).
  const dollars = ((Math.ceil(budget * 0.85) - mtd) / 100).toFixed(2);

  // The file chooser reads the file into the form, where it can be checked before importing.
  const bad = `date,service,amount\n${today},e2e-compute,${dollars}\n${today},e2e-cdn,twelve\n`;
  await page.getByTestId("import-file").setInputFiles({ name: "costs.csv", mimeType: "text/csv", buffer: Buffer.from(bad) });
  await expect(page.getByTestId("import-csv")).toHaveValue(bad);
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-errors")).toBeVisible();
  await expect(page.getByTestId("import-error-3")).toContainText(/(Line|行) 3/);
  await expect(page.locator("[data-testid^=import-error-]")).toHaveCount(1);
  // Nothing was imported: the same number of entries after a reload, and no alert.
  await openCosts(page);
  expect(await entriesTotal(page)).toBe(before);
  await expect(page.locator("[data-testid^=alert-actual-]")).toHaveCount(0);

  // Fixed: both rows go in, actual spend crosses 80 % (but not 90 %).
  await page.getByTestId("import-csv").fill(`date,service,amount\n${today},e2e-compute,${dollars}\n${today},e2e-cdn,12.00\n`);
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-result")).toHaveAttribute("data-inserted", "2");
  await expect(page.getByTestId("alert-actual-80")).toHaveCount(1);
  await expect(page.getByTestId("alert-actual-80")).toContainText("finance-team");
  await expect(page.locator("[data-testid^=alert-actual-]")).toHaveCount(1);
  await expect(page.getByTestId("costs-answer")).toContainText(/80 %/);
  await expect(page.getByTestId("entries")).toHaveAttribute("data-total", String(before + 2));

  // Importing the same file again adds nothing and alerts no more.
  await page.getByTestId("import-csv").fill(`date,service,amount\n${today},e2e-compute,${dollars}\n${today},e2e-cdn,12.00\n`);
  await page.getByTestId("import-submit").click();
  await expect(page.getByTestId("import-result")).toHaveAttribute("data-duplicates", "2");
  await expect(page.getByTestId("import-result")).toHaveAttribute("data-inserted", "0");
  await openCosts(page);
  await expect(page.locator("[data-testid^=alert-actual-]")).toHaveCount(1);
  expect(await entriesTotal(page)).toBe(before + 2);

  // Finance hears of it exactly once in the inbox (the actual 80 % alert).
  await page.goto("/inbox");
  await hydrated(page);
  await expect(
    page.getByTestId("inbox-item").filter({ hasText: /Budget 80% reached for .* \(actual\)|予算の 80% に達しました（実績）/ }),
  ).toHaveCount(1);
  expect(errors).toEqual([]);
});

test("a viewer sees the budget chart and cannot edit", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await openCosts(page);
  await expect(page.getByTestId("cost-chart").locator("svg")).toBeVisible();
  await expect(page.getByTestId("read-only")).toBeVisible();
  await expect(page.getByTestId("thresholds")).toBeVisible();
  await expect(page.getByTestId("measures")).toBeVisible();
  for (const id of ["import-form", "entry-form", "budget-form", "threshold-form", "toggle-one-off", "delete-entry", "save-measure"]) {
    await expect(page.getByTestId(id)).toHaveCount(0);
  }
  // A past month reads too (the month picker), with its chart.
  const month = await page.getByTestId("costs-answer").getAttribute("data-month");
  const [y, m] = (month ?? "2026-01").split("-").map(Number);
  const prev = m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
  await page.goto(`/costs?month=${prev}`);
  await hydrated(page);
  await expect(page.getByTestId("costs-answer")).toHaveAttribute("data-month", prev);
  await expect(page.getByTestId("cost-chart").locator("svg")).toBeVisible();
  // And the server refuses a viewer's write whatever the page shows.
  const status = await page.evaluate(async () => {
    const res = await fetch("/rpc/costs/import", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "csv=" + encodeURIComponent("date,service,amount\n2030-01-01,x,1\n"),
    });
    return res.status;
  });
  expect(status).toBe(403);
  expect(errors).toEqual([]);
});
