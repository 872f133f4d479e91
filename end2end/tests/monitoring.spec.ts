// Browser tests for the metrics view (issue 10 items 1, 4; R-MON-1, R-MON-2)
// on the demo's 13 months of history: a viewer sees the eight charts of an
// environment with the policy's thresholds and cannot edit; an operator
// changes a probe target's timeout, a bad value is refused with its reason,
// and the saved value is kept.
import { test, expect } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

test("a viewer sees eight charts with the thresholds and the probe targets read-only", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await page.goto("/monitoring?environment=production&range=30d");
  await hydrated(page);
  const charts = page.getByTestId("monitoring-charts").locator("figure");
  await expect(charts).toHaveCount(8);
  for (const metric of ["cpu_usage", "memory_usage", "disk_usage", "network_latency_ms", "connections", "error_rate"]) {
    await expect(page.getByTestId(`chart-${metric}`).locator("svg")).toHaveCount(1);
  }
  await expect(page.getByTestId("monitoring-empty")).toHaveCount(0);
  const thresholds = page.getByTestId("monitoring-thresholds");
  await expect(thresholds).toContainText("cpu_usage");
  await expect(thresholds).toContainText(/70\s?%/);
  await expect(page.getByTestId("probe-targets").locator("tbody tr")).not.toHaveCount(0);
  await expect(page.getByTestId("target-url")).toHaveCount(0);

  // Another environment and range through the picker.
  await page.getByTestId("monitoring-environment").selectOption("staging");
  await page.getByTestId("monitoring-range").selectOption("1h");
  await page.getByTestId("monitoring-picker").locator("button[type=submit]").click();
  await expect(page).toHaveURL(/environment=staging/);
  await expect(page.getByTestId("monitoring-charts").locator("figure")).toHaveCount(8);
  expect(errors).toEqual([]);
});

test("an operator changes a probe target's timeout; a timeout over the interval is refused", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "operator", "opsdeck-demo-operator");
  await page.goto("/monitoring?environment=staging");
  await hydrated(page);
  const row = page.getByTestId("target-staging-public");
  await expect(row).toBeVisible();
  const interval = Number(await row.getByTestId("target-interval").inputValue());
  expect(interval).toBeGreaterThanOrEqual(1000);

  // Longer than the interval: refused, named, nothing changed.
  await row.getByTestId("target-timeout").fill(String(Math.min(interval + 1000, 60000)));
  if (interval + 1000 > 60000) await row.getByTestId("target-interval").fill("30000");
  await row.getByRole("button").click();
  await expect(page.getByTestId("target-result")).toHaveClass(/alert-error/);

  // A good value is saved and kept.
  const fresh = page.getByTestId("target-staging-public");
  await fresh.getByTestId("target-interval").fill(String(interval));
  await fresh.getByTestId("target-timeout").fill("4321");
  await fresh.getByRole("button").click();
  await expect(page.getByTestId("target-result")).toHaveClass(/alert-ok/);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("target-staging-public").getByTestId("target-timeout")).toHaveValue("4321");
  expect(errors).toEqual([]);
});
