// Browser tests for deploys (issue 9, R-DEP-4..7): the requester cannot
// approve their own deploy; an approver ticks the six checklist items (one
// with an evidence link), a second approver (the admin) approves and
// overrides the demo's code freeze with a reason, the approver presses
// Deploy, the demo driver takes it through the blue-green steps to done,
// and a rollback with a reason puts the previous colour back live. A viewer
// sees the board and the deploy but no buttons.
import { test, expect, Page } from "@playwright/test";
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from "./helpers";

async function open(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

test("approvals, checklist, freeze override, deploy to done and one-click rollback", async ({ browser }) => {
  test.setTimeout(240_000);
  const approverContext = await browser.newContext();
  const page = await approverContext.newPage();
  const errors = watchConsole(page);
  page.on("dialog", (d) => d.accept());
  await login(page, "approver", "opsdeck-demo-approver");
  await open(page, "/deploys");
  const production = page.getByTestId("env-production");
  await expect(production).toBeVisible();
  const liveBefore = await production.locator("tr[data-live=true]").getAttribute("data-testid");
  expect(liveBefore).toMatch(/colour-(blue|green)/);

  // The approver requests a Production deploy by hand.
  const version = `1.3.${Date.now() % 100000}`;
  await page.getByTestId("request-deploy").locator("summary").click();
  const form = page.getByTestId("request-deploy");
  await form.getByLabel(/^Environment|^環境/).selectOption("production");
  await form.getByLabel(/^Version|^バージョン/).fill(version);
  await form.getByLabel(/^Commit|^コミット/).fill("4be07d1");
  await page.getByTestId("request-submit").click();
  await page.getByTestId("request-link").click();
  await expect(page).toHaveURL(/\/deploys\/\d+$/);
  await hydrated(page);
  const deployUrl = page.url();
  await expect(page.getByTestId("deploy-title")).toContainText(version);

  // The requester cannot approve their own deploy (R-DEP-5).
  await expect(page.getByTestId("approvals-count")).toContainText(/0 of 1|0 \/ 1/);
  await expect(page.getByTestId("approve-button")).toHaveCount(0);
  // The gate names what is missing; Deploy is disabled.
  await expect(page.getByTestId("gate")).toHaveAttribute("data-can-start", "false");
  await expect(page.getByTestId("deploy-button")).toBeDisabled();

  // Tick all six, the first with an evidence link (R-DEP-4).
  await page.getByTestId("evidence-input").fill("https://ci.example.com/mythologia/runs/4242");
  await page.getByTestId("tick-all_tests_pass").click();
  await expect(page.getByTestId("check-all_tests_pass")).toHaveAttribute("data-ticked", "true");
  await expect(page.getByTestId("check-all_tests_pass").getByTestId("evidence-link")).toHaveAttribute("href", /runs\/4242/);
  for (const item of ["security_scan_done", "database_migration_checked", "environment_variables_checked", "rollback_procedure_ready", "monitoring_alerts_set"]) {
    await page.getByTestId(`tick-${item}`).click();
    await expect(page.getByTestId(`check-${item}`)).toHaveAttribute("data-ticked", "true");
  }
  await expect(page.getByTestId("check-monitoring_alerts_set")).toContainText("approver");

  // A second approver (the admin) approves and overrides the demo's code freeze (R-DEP-6).
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminErrors = watchConsole(admin);
  await login(admin, "admin", ADMIN_PASSWORD);
  await open(admin, deployUrl);
  await expect(admin.getByTestId("freeze-banner")).toContainText(/1\.2\.4/);
  await admin.getByTestId("approve-button").click();
  await expect(admin.getByTestId("approvals-count")).toContainText(/1 of 1|1 \/ 1/);
  await admin.getByTestId("override-form").getByRole("textbox").fill("Security fix must ship before the release");
  await admin.getByTestId("override-submit").click();
  await expect(admin.getByTestId("freeze-override")).toContainText("Security fix");
  expect(adminErrors).toEqual([]);
  await adminContext.close();

  // The approver's page follows live; the gate holds; Deploy.
  await expect(page.getByTestId("gate")).toHaveAttribute("data-can-start", "true", { timeout: 15_000 });
  await page.getByTestId("deploy-button").click();
  // Progress without reloading: the steps appear and the deploy ends done.
  await expect(page.locator('[data-testid=step][data-step=provision]')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId("deploy-status").first()).toHaveAttribute("data-status", "done", { timeout: 150_000 });
  await expect(page.locator('[data-testid=step][data-step=switch][data-status=ok]')).toHaveCount(1);
  const liveAfter = await page.getByTestId("traffic").getAttribute("data-live");
  expect(`colour-${liveAfter}`).not.toBe(liveBefore);

  // One-click rollback with a reason (R-DEP-7): the previous colour is live again.
  await page.getByTestId("rollback-reason").fill("Error rate up after the switch");
  await page.getByTestId("rollback-button").click();
  await expect(page.getByTestId("deploy-status").first()).toHaveAttribute("data-status", "rolled_back", { timeout: 60_000 });
  await expect(page.getByTestId("rollback-info")).toContainText("Error rate up");
  await open(page, "/deploys");
  await expect(page.getByTestId("env-production").locator("tr[data-live=true]")).toHaveAttribute("data-testid", liveBefore ?? "");
  expect(errors).toEqual([]);

  // A viewer sees the board and the deploy, and no buttons.
  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  const viewerErrors = watchConsole(viewer);
  await login(viewer, "viewer", "opsdeck-demo-viewer");
  await open(viewer, "/deploys");
  await expect(viewer.getByTestId("env-board")).toBeVisible();
  await expect(viewer.getByTestId("read-only")).toBeVisible();
  await expect(viewer.getByTestId("request-deploy")).toHaveCount(0);
  await open(viewer, deployUrl);
  await expect(viewer.getByTestId("deploy-title")).toContainText(version);
  await expect(viewer.locator("main button")).toHaveCount(0);
  // The deploy's timeline (issue 9 item 7): request, ticks, votes, override,
  // steps and the rollback, with who.
  const timeline = viewer.getByTestId("timeline");
  await expect(timeline.locator("tr[data-action='deploy.request']")).toHaveCount(1);
  await expect(timeline.locator("tr[data-action='deploy.tick']")).toHaveCount(6);
  await expect(timeline.locator("tr[data-action='deploy.freeze_override']")).toHaveCount(1);
  await expect(timeline.locator("tr[data-action='deploy.rollback_request']")).toContainText("approver");
  // The history, filtered by this deploy's version, lists it alone.
  await open(viewer, "/deploys?env=production");
  await viewer.getByTestId("filter-version").fill(version);
  await viewer.getByTestId("filter-status").selectOption("rolled_back");
  await viewer.getByTestId("filter-apply").click();
  await expect(viewer).toHaveURL(/status=rolled_back/);
  await expect(viewer.getByTestId("history-row")).toHaveCount(1);
  await expect(viewer.getByTestId("history-row")).toHaveAttribute("data-deploy-id", deployUrl.split("/").pop() ?? "");
  expect(viewerErrors).toEqual([]);
  await viewerContext.close();
});

test("an admin changes an environment's deploy settings; history pages older and newer", async ({ page }) => {
  const errors = watchConsole(page);
  await login(page, "admin", ADMIN_PASSWORD);
  await open(page, "/deploys/settings");
  const staging = page.getByTestId("settings-staging");
  await staging.locator("summary").click();
  await staging.locator("input[name=observe_seconds]").fill("45");
  await staging.getByRole("button").click();
  await expect(page.getByTestId("settings-result")).toHaveClass(/alert-ok/);
  await open(page, "/deploys/settings");
  await page.getByTestId("settings-staging").locator("summary").click();
  await expect(page.getByTestId("settings-staging").locator("input[name=observe_seconds]")).toHaveValue("45");
  await expect(page.getByTestId("trigger-settings")).toBeVisible();

  // Keyset paging over the demo's months of Production deploys.
  await open(page, "/deploys?env=production");
  const first = await page.getByTestId("history-row").first().getAttribute("data-deploy-id");
  await page.getByTestId("history-older").click();
  await expect(page).toHaveURL(/before=\d+/);
  await expect(page.getByTestId("history-row").first()).not.toHaveAttribute("data-deploy-id", first ?? "");
  await page.getByTestId("history-newer").click();
  await expect(page.getByTestId("history-row").first()).toHaveAttribute("data-deploy-id", first ?? "");
  expect(errors).toEqual([]);
});
