// Browser tests for backups (issue 13, R-BAK-1..3): an operator runs the
// built-in backup now and finds it in the catalogue with its size and
// checksum, then runs a restore drill and sees its time against the RTO; a
// viewer sees all of it and can change nothing. (Declaring an incident is
// tested with the incident pages.)
//
// The server of end2end/run.sh runs the built-in runner for real: pg_dump of
// the throw-away database (DATABASE_URL), pg_restore into a scratch one.
import { test, expect, Page } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

async function openBackups(page: Page) {
  await page.goto("/backups");
  await hydrated(page);
  await expect(page.getByTestId("backups-answer")).toBeVisible();
}

test("an operator runs a backup now and a restore drill: listed with size and checksum, timed against the RTO", async ({ page }) => {
  test.setTimeout(180_000);
  const errors = watchConsole(page);
  page.on("dialog", (d) => d.accept());
  await login(page, "operator", "opsdeck-demo-operator");
  await openBackups(page);

  // The policy's schedule: the database's full backup daily at 02:00, with its timeline.
  const db = page.getByTestId("target-database");
  await expect(db.getByTestId("schedule")).toContainText("02:00");
  await expect(db.getByTestId("timeline-entry").first()).toBeVisible();

  // Run backup now: it shows its progress, then the new run with size and checksum.
  await db.getByTestId("run-now").click();
  const result = db.getByTestId("run-result");
  await expect(result).toHaveAttribute("data-outcome", "ok", { timeout: 90_000 });
  const runId = await result.getAttribute("data-run-id");
  expect(runId).toMatch(/^\d+$/);
  const checksum = db.getByTestId("run-result-checksum");
  await expect(checksum).toHaveText(/^sha256:[0-9a-f]{12}…$/);
  const fullChecksum = await checksum.getAttribute("title");
  expect(fullChecksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  const size = ((await db.getByTestId("run-result-size").textContent()) ?? "").trim();
  expect(size).toMatch(/^\d+(\.\d)? (B|kB|MB|GB)$/);

  // The catalogue lists it (the page loaded again once the run ended).
  const row = page.locator(`[data-testid=run-row][data-run-id="${runId}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId("run-size")).toHaveText(size);
  await expect(row.getByTestId("run-checksum")).toHaveAttribute("title", fullChecksum ?? "");
  await expect(row.getByTestId("run-outcome")).toContainText(/ok|成功/);
  await expect(row).toContainText("operator");
  // A full backup taken just now is inside the RPO.
  await expect(page.getByTestId("backups-answer")).toHaveAttribute("data-ok", "true");
  await expect(page.getByTestId("backups-answer")).toContainText(/inside the RPO of 1 h|RPO 1 時間以内/);

  // The catalogue filters: the run is a full backup of the database.
  await page.getByTestId("runs-filter").getByLabel(/^Kind$|^種類$/).selectOption("full");
  await page.getByTestId("runs-filter-submit").click();
  await expect(page).toHaveURL(/kind=full/);
  await expect(page.locator(`[data-testid=run-row][data-run-id="${runId}"]`)).toBeVisible();
  await hydrated(page);

  // Run drill: restores that backup into a scratch database, timed against the RTO of 4 h.
  const box = page.getByTestId("drill-box-database");
  await box.getByTestId("run-drill").click();
  const drill = box.getByTestId("drill-result");
  await expect(drill).toHaveAttribute("data-outcome", "ok", { timeout: 120_000 });
  await expect(box.getByTestId("drill-result-rto")).toContainText(/inside the RTO of 4 h|RTO 4 時間以内/);
  const drillId = await drill.getAttribute("data-drill-id");
  const drillRow = page.locator(`[data-testid=drill-row][data-drill-id="${drillId}"]`);
  await expect(drillRow).toBeVisible();
  await expect(drillRow.getByTestId("drill-rto")).toContainText(/inside the RTO of 4 h|RTO 4 時間以内/);
  await expect(drillRow).toContainText(`#${runId}`);
  await expect(page.getByTestId("last-drill")).toContainText(/inside the RTO of 4 h|RTO 4 時間以内/);

  // The overview's card shows both answers.
  await page.goto("/");
  await hydrated(page);
  await expect(page.getByTestId("card-rpo")).toHaveAttribute("data-ok", "true");
  await expect(page.getByTestId("card-drill")).toContainText(/RTO/);
  expect(errors).toEqual([]);
});

test("a viewer sees the schedule, runs, retention and drills and can change nothing", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await openBackups(page);
  await expect(page.getByTestId("read-only")).toBeVisible();
  const db = page.getByTestId("target-database");
  await expect(db.getByTestId("schedule-row").first()).toBeVisible();
  await expect(db.getByTestId("timeline-entry").first()).toBeVisible();
  await expect(db.getByTestId("runner")).toBeVisible();
  // The operator's run and drill above are there (the tests run in order).
  await expect(page.getByTestId("run-row").first()).toBeVisible();
  await expect(page.getByTestId("run-checksum").first()).toHaveText(/sha256:/);
  await expect(page.getByTestId("drill-row").first()).toBeVisible();
  await expect(page.getByTestId("drill-rto").first()).toContainText(/RTO/);
  await expect(page.getByTestId("retention-database").getByTestId("retention-summary")).toBeVisible();
  await expect(page.getByTestId("setting-rpo")).toBeVisible();

  // Nothing to press, nothing to fill in (the runs' filter only reads).
  for (const id of [
    "run-now",
    "run-drill",
    "schedule-form",
    "edit-schedule",
    "delete-schedule",
    "retention-form",
    "prune-preview",
    "record-drill-form",
    "objectives-form",
    "runner-form",
  ]) {
    await expect(page.getByTestId(id)).toHaveCount(0);
  }
  await expect(page.locator(".backups form:not([data-testid=runs-filter])")).toHaveCount(0);

  await page.goto("/");
  await hydrated(page);
  await expect(page.getByTestId("backup-card")).toBeVisible();
  await expect(page.getByTestId("card-drill")).toContainText(/RTO/);
  expect(errors).toEqual([]);
});
