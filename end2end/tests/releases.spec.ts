// Browser tests for releases (issue 11, R-REL-1..5): a release manager plans
// v1.3.0, sees its milestones and the freeze band on the calendar, writes notes
// citing #123 and sees the link in the preview; a second browser's stale save
// is refused with both texts; a viewer sees everything and can edit nothing.
import { test, expect } from "@playwright/test";
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from "./helpers";

/** `YYYY-MM-DD` `days` from today (UTC; the demo zone is ahead, never behind by a day here). */
function dayIn(days: number): string {
  const d = new Date(Date.now() + days * 24 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

test("a release manager plans v1.3.0, sees the calendar, writes notes, and a stale save is refused", async ({ browser }) => {
  const managerContext = await browser.newContext();
  const page = await managerContext.newPage();
  const errors = watchConsole(page);
  await login(page, "release", "opsdeck-demo-release");
  await page.goto("/releases");
  await hydrated(page);
  // The demo's v1.2.4 is inside its code freeze: the banner says so.
  await expect(page.getByTestId("freeze-banner")).toContainText("1.2.4");

  // Plan v1.3.0 three weeks out; the live check proposes a version and lists the milestones.
  const releaseDay = dayIn(21);
  await page.getByTestId("plan-features").check();
  await expect(page.getByTestId("plan-proposed")).toContainText("1.3.0");
  await page.getByTestId("plan-version").fill("1.3.0");
  await page.getByTestId("plan-planned_date").fill(releaseDay);
  await expect(page.getByTestId("plan-milestones").locator("li")).toHaveCount(5);
  await expect(page.getByTestId("plan-milestones")).toContainText(/Feature freeze|機能フリーズ/);
  await expect(page.getByTestId("plan-milestones")).toContainText(/Code freeze|コードフリーズ/);
  await expect(page.getByTestId("plan-milestones")).toContainText(/Final test|最終テスト/);
  await expect(page.getByTestId("plan-milestones")).toContainText(/Release notes|リリースノート作成/);
  // A version not above the last release is refused, naming both.
  await page.getByTestId("plan-version").fill("1.2.3");
  await expect(page.getByTestId("plan-version-problem")).toContainText("1.2.3");
  await page.getByTestId("plan-version").fill("1.3.0");
  await expect(page.getByTestId("plan-version-problem")).toHaveCount(0);
  await page.getByTestId("plan-submit").click();
  // Saved: straight to the release, or (with cadence warnings) through the saved link.
  const savedLink = page.getByTestId("plan-saved-link");
  await expect(page.getByTestId("release-version").or(savedLink).first()).toBeVisible();
  if (await savedLink.isVisible()) await savedLink.click();
  await expect(page.getByTestId("release-version")).toContainText("1.3.0");
  await hydrated(page);
  const releaseUrl = page.url();
  await expect(page.getByTestId("release-milestones")).toContainText(/Code freeze|コードフリーズ/);

  // A second browser (the admin) opens the same release before the notes are saved.
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  const otherErrors = watchConsole(other);
  await login(other, "admin", ADMIN_PASSWORD);
  await other.goto(releaseUrl);
  await hydrated(other);
  await expect(other.getByTestId("notes-editor")).toBeVisible();

  // The manager writes notes citing #123: the preview links it.
  await page.getByTestId("notes-new_features").fill("デッキのタグ付け (#123)");
  await expect(page.getByTestId("notes-preview").locator('a[href$="/issues/123"]')).toBeVisible();
  await page.getByTestId("notes-save").click();
  await expect(page.getByTestId("notes-saved")).toBeVisible();

  // The admin's save is based on the old revision: refused, both texts shown, nothing lost.
  await other.getByTestId("notes-known_issues").fill("検索が遅い場合がある (#200)");
  await other.getByTestId("notes-save").click();
  await expect(other.getByTestId("notes-conflict")).toBeVisible();
  await expect(other.getByTestId("conflict-theirs")).toContainText("デッキのタグ付け (#123)");
  await expect(other.getByTestId("conflict-yours")).toContainText("検索が遅い場合がある (#200)");
  await expect(other.getByTestId("notes-known_issues")).toHaveValue("検索が遅い場合がある (#200)");

  // The calendar shows release day and the code-freeze band in the release's month.
  await page.goto(`/releases/calendar?month=${releaseDay.slice(0, 7)}`);
  await hydrated(page);
  const grid = page.getByTestId("calendar-grid");
  await expect(grid.locator(`[data-testid="cal-day"][data-date="${releaseDay}"]`)).toContainText("1.3.0");
  await expect(
    grid.locator(`[data-testid="cal-day"][data-date="${releaseDay}"] [data-testid="cal-milestone"][data-kind="release"]`),
  ).toHaveCount(1);
  expect(await grid.getByTestId("cal-freeze").count()).toBeGreaterThan(0);
  // The subscription URL is made on request and shown once.
  await page.getByTestId("feed-regenerate").click();
  await expect(page.getByTestId("feed-url")).toHaveValue(/\/calendar\.ics\?k=odc_/);

  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
  await managerContext.close();
  await otherContext.close();
});

test("a viewer sees releases, notes and the calendar and can edit nothing", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "viewer", "opsdeck-demo-viewer");
  await page.goto("/releases");
  await hydrated(page);
  await expect(page.getByTestId("release-row").first()).toBeVisible();
  await expect(page.getByTestId("plan-form")).toHaveCount(0);
  await page.getByTestId("release-link").filter({ hasText: "1.2.0" }).click();
  await expect(page.getByTestId("release-version")).toContainText("1.2.0");
  await hydrated(page);
  // The policy's example notes, rendered, with the issue links.
  await expect(page.getByTestId("notes-html")).toContainText("デッキ共有機能を追加");
  await expect(page.getByTestId("notes-html").locator('a[href$="/issues/123"]')).toBeVisible();
  await expect(page.getByTestId("notes-editor")).toHaveCount(0);
  await expect(page.getByTestId("publish-release")).toHaveCount(0);
  await expect(page.getByTestId("cancel-release")).toHaveCount(0);
  await expect(page.getByTestId("export-md")).toBeVisible();
  await page.goto("/releases/calendar");
  await hydrated(page);
  await expect(page.getByTestId("calendar-grid")).toBeVisible();
  await page.goto("/");
  await expect(page.getByTestId("env-freeze")).toContainText("1.2.4");
  expect(errors).toEqual([]);
});
