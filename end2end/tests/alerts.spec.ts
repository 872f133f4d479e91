// Browser tests for alert rules (issue 10 item 7, R-MON-3, R-MON-4): an
// operator sees the seeded rules, is told as they type that a threshold's
// unit does not fit, creates a rule on the demo's health probes that fires
// at once, acknowledges it with a comment, reads its history, silences it
// and deletes the silence, exports the YAML and finally switches the rule
// off again; a viewer reads the same page without any button to change it.
import { test, expect, Page } from "@playwright/test";
import { hydrated, login, watchConsole } from "./helpers";

/** A `datetime-local` value `ms` from now in the server's zone (Asia/Tokyo). */
function tokyoLocal(ms: number): string {
  return new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  })
    .format(new Date(Date.now() + ms))
    .replace(" ", "T");
}

async function openAlerts(page: Page) {
  await page.goto("/alerts");
  await hydrated(page);
}

test("an operator creates a rule, acknowledges and silences it; a viewer sees no buttons", async ({ browser }) => {
  // The rule fires on the demo's health probes, whose first complete minute
  // may still be on its way when this file runs first.
  test.setTimeout(300_000);
  const operatorContext = await browser.newContext();
  const page = await operatorContext.newPage();
  const errors = watchConsole(page);
  await login(page, "operator", "opsdeck-demo-operator");
  await openAlerts(page);
  await expect(page.getByTestId("alerts-answer")).toBeVisible();
  // The policy's three rules and the built-in burn rates are seeded.
  for (const seeded of ["HighErrorRate", "SlowResponse", "DiskSpaceLow", "ErrorBudgetFastBurn"]) {
    await expect(page.locator(`[data-testid="rule-row"][data-rule="${seeded}"]`)).toBeVisible();
  }
  // The demo's history is not empty.
  await page.locator('[data-testid="rule-row"][data-rule="HighErrorRate"]').getByTestId("rule-history").click();
  await expect(page.getByTestId("history-section")).toBeVisible();
  await expect(page.locator('[data-testid="history-row"][data-kind="acknowledged"]').first()).toBeVisible();

  const name = `E2eProbe${Date.now()}`;
  const row = page.locator(`[data-testid="rule-row"][data-rule="${name}"]`);
  const form = page.getByTestId("rule-form");
  // A unit that does not fit the metric is refused as you type.
  await form.getByTestId("rule-condition").fill("disk_usage > 90ms");
  await expect(form.getByTestId("err-condition")).toContainText(/measured in %|単位は %/);
  await form.getByTestId("rule-condition").fill("disk_usage > 90");
  await expect(form.getByTestId("err-condition")).toHaveText("");

  try {
    // A rule that holds whenever there are probes: availability is never below 0 %.
    await form.getByTestId("rule-name").fill(name);
    await form.getByTestId("rule-condition").fill("availability >= 0");
    await form.getByTestId("rule-duration").fill("0s");
    await form.getByTestId("rule-severity").selectOption("info");
    await form.getByTestId("rule-submit").click();
    await expect(page.getByTestId("rules-flash")).toContainText(/Rule created|ルールを作成しました/);
    await expect(row).toBeVisible();
    await expect(row).toHaveAttribute("data-enabled", "true");

    // The evaluator (every 10 s) fires it in Production once a probe minute is complete.
    const active = page.locator(`[data-testid="active-row"][data-rule="${name}"][data-environment="production"]`);
    await expect(async () => {
      await openAlerts(page);
      await expect(active).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 240_000, intervals: [10_000] });
    await expect(active.getByTestId("alert-state")).toHaveAttribute("data-state", "firing");

    // Acknowledge with a comment.
    await active.getByTestId("ack-comment").fill("E2E: looking into it");
    await active.getByTestId("ack-submit").click();
    await expect(active.getByTestId("ack-note")).toContainText("E2E: looking into it");
    await expect(active.getByTestId("ack-note")).toContainText("operator");

    // Its history: fired, then acknowledged.
    await row.getByTestId("rule-history").click();
    await expect(page.getByTestId("history-section")).toContainText(name);
    await expect(page.locator('[data-testid="history-row"][data-kind="acknowledged"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="history-row"][data-kind="firing"]').first()).toBeVisible();

    // Silence it in Production for a day: the alert shows as silenced.
    const silenceForm = page.getByTestId("silence-form");
    await silenceForm.getByTestId("silence-rule").selectOption({ label: name });
    await silenceForm.getByTestId("silence-env").selectOption("production");
    await silenceForm.getByTestId("silence-ends").fill(tokyoLocal(24 * 3600 * 1000));
    await silenceForm.getByTestId("silence-comment").fill("E2E silence");
    await silenceForm.getByTestId("silence-submit").click();
    await expect(page.getByTestId("silences-flash")).toBeVisible();
    const silence = page.getByTestId("silence-row").filter({ hasText: name });
    await expect(silence).toHaveCount(1);
    await expect(silence.getByTestId("silence-active")).toBeVisible();
    await expect(active.getByTestId("silenced")).toBeVisible();

    // Export: the YAML carries the new rule and keeps the policy's layout.
    await page.getByTestId("export-yaml").click();
    const href = (await page.getByTestId("export-link").getAttribute("href")) ?? "";
    const prefix = "data:application/yaml;charset=utf-8,";
    expect(href.startsWith(prefix)).toBe(true);
    const yaml = decodeURIComponent(href.slice(prefix.length));
    expect(yaml).toContain("alerts:\n  - name: HighErrorRate\n    condition: error_rate > 5%\n");
    expect(yaml).toContain(`  - name: ${name}\n    condition: availability >= 0\n    duration: 0s\n    severity: info\n`);

    // A viewer reads everything and can change nothing.
    const viewerContext = await browser.newContext();
    const viewer = await viewerContext.newPage();
    const viewerErrors = watchConsole(viewer);
    await login(viewer, "viewer", "opsdeck-demo-viewer");
    await openAlerts(viewer);
    await expect(viewer.getByTestId("read-only")).toBeVisible();
    await expect(viewer.locator(`[data-testid="rule-row"][data-rule="${name}"]`)).toBeVisible();
    await expect(
      viewer.locator(`[data-testid="active-row"][data-rule="${name}"][data-environment="production"]`),
    ).toBeVisible();
    await expect(viewer.getByTestId("silence-row").filter({ hasText: name })).toHaveCount(1);
    for (const id of ["rule-form", "import-form", "silence-form", "ack-form", "rule-edit", "rule-disable", "silence-delete"]) {
      await expect(viewer.getByTestId(id)).toHaveCount(0);
    }
    // The only button is the export everyone may use.
    await expect(viewer.locator(".alerts-page button")).toHaveCount(1);
    await expect(viewer.getByTestId("export-yaml")).toBeVisible();
    expect(viewerErrors).toEqual([]);
    await viewerContext.close();

    // Delete the silence, confirming the question that names it.
    page.once("dialog", (d) => {
      expect(d.message()).toContain(name);
      void d.accept();
    });
    await silence.getByTestId("silence-delete").click();
    await expect(page.getByTestId("silence-row").filter({ hasText: name })).toHaveCount(0);
  } finally {
    // Switch the rule off again, so it tells nobody while the other files run.
    if ((await row.count()) > 0 && (await row.getAttribute("data-enabled")) === "true") {
      page.once("dialog", (d) => void d.accept());
      await row.getByTestId("rule-disable").click();
      await expect(row).toHaveAttribute("data-enabled", "false");
    }
  }
  expect(errors).toEqual([]);
  await operatorContext.close();
});
