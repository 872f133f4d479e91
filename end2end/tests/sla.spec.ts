// Browser tests for the SLA page (issue 10 item 5, R-SLA-1..5) on the demo
// history (server/src/demo/monitoring.rs: 13 months of probe minutes for
// Production with a few outages, one inside a planned maintenance window and
// one classified as force majeure): a viewer sees a month's availability,
// the four SVG charts with their target lines and the exclusions ledger; an
// operator classifies an outage as force majeure and availability and
// budget change together.
import { test, expect, Page } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

/** The figures the page states, from the answer's data attributes. */
async function figures(page: Page) {
  const a = page.getByTestId("sla-answer");
  await expect(a).toBeVisible();
  const n = async (name: string) => Number(await a.getAttribute(`data-${name}`));
  return {
    month: (await a.getAttribute("data-month")) ?? "",
    availabilityPpm: await n("availability-ppm"),
    allowedMs: await n("allowed-ms"),
    usedMs: await n("used-ms"),
    remainingMs: await n("remaining-ms"),
    excludedMinutes: await n("excluded-minutes"),
    targetMet: (await a.getAttribute("data-target-met")) === "true",
  };
}

async function openMonth(page: Page, month: string) {
  await page.goto(`/sla?environment=production&month=${month}`);
  await hydrated(page);
  await expect(page.getByTestId("sla-answer")).toHaveAttribute("data-month", month);
}

/** The months of the 12-month history, newest first (the current month first). */
async function historyMonths(page: Page): Promise<string[]> {
  const rows = page.getByTestId("history-row");
  await expect(rows.first()).toBeVisible();
  return rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-month") ?? ""));
}

/** `YYYY-MM` of the date `days` before today (UTC date; the demo's outages are anchored on UTC days). */
function monthDaysAgo(days: number): string {
  const d = new Date(Date.now() - days * 86_400_000);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
}

test("a viewer sees a demo month's availability, the four charts with their target lines and the exclusions", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await page.goto("/sla");
  await hydrated(page);
  await expect(page.getByTestId("sla-answer")).toContainText(/%/);

  // The month of the demo's force-majeure power failure (~75 days back).
  const candidates = [monthDaysAgo(75), monthDaysAgo(76), ...(await historyMonths(page))];
  let found = "";
  for (const month of [...new Set(candidates)]) {
    await openMonth(page, month);
    if ((await page.locator('[data-testid=exclusion-row][data-kind=force_majeure]').count()) > 0) {
      found = month;
      break;
    }
  }
  expect(found, "a demo month with a force-majeure exclusion").not.toBe("");

  // Availability against 99.9 %, with allowed, used and remaining downtime.
  const f = await figures(page);
  expect(f.availabilityPpm).toBeGreaterThan(990_000);
  expect(f.allowedMs).toBeGreaterThan(40 * 60_000);
  expect(f.remainingMs).toBe(f.allowedMs - f.usedMs);
  expect(f.targetMet).toBe(f.remainingMs >= 0);
  await expect(page.getByTestId("sla-availability")).toContainText(/99\.9 %/);
  await expect(page.getByTestId("sla-allowed")).toContainText(/min|分/);
  await expect(page.getByTestId("sla-used")).toBeVisible();
  await expect(page.getByTestId("sla-remaining")).toBeVisible();

  // The ledger names the exclusion line by line, with who classified it and why.
  const fm = page.locator('[data-testid=exclusion-row][data-kind=force_majeure]').first();
  await expect(fm).toContainText(/Force majeure|不可抗力/);
  await expect(fm).toContainText(/Power failure/);
  await expect(fm).toContainText("operator");
  await expect(page.getByTestId("sla-exclusions-total")).toContainText(String(f.excludedMinutes));
  // The outage it covers is listed, and no longer counts.
  await expect(page.locator('[data-testid=outage-row][data-excluded-as=force_majeure]')).toHaveCount(1);

  // Four SVG charts, each with its target line labelled.
  for (const [id, target] of [
    ["chart-availability", /99\.9 %/],
    ["chart-latency", /p95 < 200 ms/],
    ["chart-errors", /< 0\.1 %/],
    ["chart-burn-down", /budget exhausted|バジェット枯渇/],
  ] as const) {
    const chart = page.getByTestId(id);
    await expect(chart.locator("svg")).toHaveCount(1);
    await expect(chart.locator("svg text").filter({ hasText: target })).toHaveCount(1);
  }
  await expect(page.getByTestId("chart-availability").locator("svg rect")).not.toHaveCount(0);

  // The daily table has every day of the month; viewers get no classify form.
  const days = new Date(Number(found.slice(0, 4)), Number(found.slice(5, 7)), 0).getDate();
  await expect(page.getByTestId("day-row")).toHaveCount(days);
  await expect(page.getByTestId("sla-classify")).toHaveCount(0);
  await expect(page.getByTestId("sla-read-only")).toBeVisible();

  // The CSV download is the same month.
  const csv = await page.request.get(`/sla/report.csv?environment=production&month=${found}`);
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text).toContain(`month,${found}`);
  expect(text).toContain(`remaining_downtime_minutes,`);
  expect(errors).toEqual([]);
});

test("an operator classifies an outage as force majeure: availability and budget change together", async ({ page }) => {
  const errors = watchConsole(page);
  page.on("dialog", (d) => d.accept());
  await login(page, "operator", "opsdeck-demo-operator");
  await page.goto("/sla");
  await hydrated(page);
  // A complete past month with an outage that still counts (the demo's
  // bad release ~200 days back, or the short one 5 days back).
  const months = (await historyMonths(page)).slice(1);
  let month = "";
  for (const m of months) {
    await openMonth(page, m);
    if ((await page.locator('[data-testid=outage-row][data-excluded-as=""]').count()) > 0) {
      month = m;
      break;
    }
  }
  expect(month, "a past demo month with a counted outage").not.toBe("");
  const before = await figures(page);
  const row = page.locator('[data-testid=outage-row][data-excluded-as=""]').first();
  const start = (await row.getAttribute("data-start")) ?? "";
  const counted = Number(await row.getAttribute("data-counted"));
  expect(counted).toBeGreaterThan(0);

  // Classify it, with a reason.
  const reason = `E2E: regional power grid failure ${Date.now()}`;
  await row.getByTestId("sla-classify-open").click();
  const form = row.getByTestId("sla-classify-form");
  await form.getByTestId("sla-classify-kind").selectOption("force_majeure");
  // An empty reason is refused and named.
  await form.getByTestId("sla-classify-submit").click();
  await expect(form.getByTestId("err-note")).not.toBeEmpty();
  await form.getByTestId("sla-classify-note").fill(reason);
  await form.getByTestId("sla-classify-submit").click();

  // The page reloads the month: the outage's minutes leave the counted
  // minutes, so the budget shrinks by 0.1 % of them while the used downtime
  // drops by all of them — and availability rises.
  await expect(page.getByTestId("sla-answer")).toHaveAttribute(
    "data-excluded-minutes",
    String(before.excludedMinutes + counted),
  );
  const after = await figures(page);
  expect(after.month).toBe(month);
  expect(after.usedMs).toBe(before.usedMs - counted * 60_000);
  expect(after.allowedMs).toBe(before.allowedMs - counted * 60);
  expect(after.remainingMs).toBe(after.allowedMs - after.usedMs);
  expect(after.remainingMs).toBeGreaterThan(before.remainingMs);
  expect(after.availabilityPpm).toBeGreaterThan(before.availabilityPpm);
  const outage = page.locator(`[data-testid=outage-row][data-start="${start}"]`);
  await expect(outage).toHaveAttribute("data-excluded-as", "force_majeure");
  const line = page.locator("[data-testid=exclusion-row][data-kind=force_majeure]").filter({ hasText: reason });
  await expect(line).toHaveCount(1);
  await expect(line).toContainText("operator");

  // Removing the classification (confirmed) puts the month back as it was.
  await line.getByTestId("sla-unclassify").click();
  await expect(page.getByTestId("sla-answer")).toHaveAttribute("data-excluded-minutes", String(before.excludedMinutes));
  const restored = await figures(page);
  expect(restored.usedMs).toBe(before.usedMs);
  expect(restored.allowedMs).toBe(before.allowedMs);
  expect(restored.availabilityPpm).toBe(before.availabilityPpm);
  expect(errors).toEqual([]);
});

test("the overview states Production's SLA month to date and links to the same figure on the SLA page", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await page.goto("/");
  await hydrated(page);
  const row = page.getByTestId("env-production");
  const sla = row.getByTestId("env-sla").locator("a");
  await expect(sla).toContainText(/\d+\.\d{3} %/);
  await expect(row.getByTestId("env-budget")).toContainText(/min|分/);
  await expect(row.getByTestId("env-alerts")).toBeVisible();
  const overviewPpm = Number(await sla.getAttribute("data-availability-ppm"));
  await sla.click();
  await expect(page).toHaveURL(/\/sla\?environment=production/);
  const answer = page.getByTestId("sla-answer");
  await expect(answer).toBeVisible();
  // The same month-to-date report; the live prober may add a minute between
  // the two reads, which moves availability by a few ppm at most.
  const pagePpm = Number(await answer.getAttribute("data-availability-ppm"));
  expect(Math.abs(pagePpm - overviewPpm)).toBeLessThanOrEqual(100);
  expect(errors).toEqual([]);
});
