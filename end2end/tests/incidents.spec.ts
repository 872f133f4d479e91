// Browser tests for the DR runbook (issue 13 item 5, R-BAK-4): an operator
// declares an incident and ticks the first two runbook steps; a viewer
// follows the same checklist live and has no buttons.
import { test, expect } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

test("an operator declares an incident and ticks the first two steps; a viewer follows it live without buttons", async ({ browser }) => {
  const operatorContext = await browser.newContext();
  const page = await operatorContext.newPage();
  const errors = watchConsole(page);
  await login(page, "operator", "opsdeck-demo-operator");
  await page.goto("/incidents");
  await hydrated(page);
  await expect(page.getByTestId("incidents-answer")).toContainText(/RTO 4 h|RTO 4 時間/);

  // Declare: the runbook opens on its own page.
  const title = `E2E primary database lost ${Date.now()}`;
  const form = page.getByTestId("declare-incident");
  await form.getByLabel(/What happened|事象/).fill(title);
  await form.getByLabel(/^Severity$|^重大度$/).selectOption("critical");
  await page.getByTestId("declare-submit").click();
  await expect(page).toHaveURL(/\/incidents\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId("incident-title")).toContainText(title);
  // The policy's seven steps and its recovery order: eleven items, each with a status.
  await expect(page.locator('[data-testid^="step-status-"]')).toHaveCount(11);
  await expect(page.getByTestId("incident-clock")).toContainText(/RTO 4 h|RTO 4 時間/);
  // Declaring started the first step, owned by the declarer.
  await expect(page.getByTestId("step-status-1")).toContainText(/in progress|対応中/);
  await expect(page.getByTestId("step-owner-1")).toContainText("operator");

  // Tick the first two steps.
  await page.getByTestId("step-done-1").click();
  await expect(page.getByTestId("step-status-1")).toContainText(/done|完了/);
  await expect(page.getByTestId("step-undo-1")).toBeVisible();
  await page.getByTestId("step-done-2").click();
  await expect(page.getByTestId("step-status-2")).toContainText(/done|完了/);
  await expect(page.getByTestId("step-owner-2")).toContainText("operator");
  await expect(page.getByTestId("step-status-3")).toContainText(/not started|未着手/);

  // The report export carries the timeline.
  const href = (await page.getByTestId("export-report").getAttribute("href")) ?? "";
  expect(href.startsWith("data:text/markdown;charset=utf-8,")).toBe(true);
  const report = decodeURIComponent(href.slice("data:text/markdown;charset=utf-8,".length));
  expect(report).toContain(title);
  expect(report).toMatch(/## (Timeline|時系列)/);
  expect(report).toMatch(/RTO/);
  const incidentUrl = page.url();

  // A viewer opens the same runbook: the ticks are there, no buttons anywhere on the page.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  const viewerErrors = watchConsole(viewer);
  await login(viewer, "viewer", "opsdeck-demo-viewer");
  await viewer.goto(incidentUrl);
  await hydrated(viewer);
  await expect(viewer.getByTestId("step-status-1")).toContainText(/done|完了/);
  await expect(viewer.getByTestId("step-status-2")).toContainText(/done|完了/);
  await expect(viewer.getByTestId("read-only")).toBeVisible();
  await expect(viewer.getByTestId("export-report")).toBeVisible();
  await expect(viewer.locator(".incidents button")).toHaveCount(0);

  // Live: the operator starts step 3, the viewer sees it within a poll or two, no reload.
  await page.getByTestId("step-start-3").click();
  await expect(page.getByTestId("step-status-3")).toContainText(/in progress|対応中/);
  await expect(viewer.getByTestId("step-status-3")).toContainText(/in progress|対応中/, { timeout: 20_000 });
  await expect(viewer.locator(".incidents button")).toHaveCount(0);

  // The viewer's list has the incident and no declare form.
  await viewer.goto("/incidents");
  await hydrated(viewer);
  await expect(viewer.getByTestId("incident-link").filter({ hasText: title })).toBeVisible();
  await expect(viewer.getByTestId("declare-incident")).toHaveCount(0);

  expect(errors).toEqual([]);
  expect(viewerErrors).toEqual([]);
  await operatorContext.close();
  await viewerContext.close();
});
