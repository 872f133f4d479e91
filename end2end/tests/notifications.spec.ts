// Browser tests for notifications (issue 8): an admin points a webhook channel
// at a receiver this test runs and presses Send test; an operator switches
// maintenance on and an on-call user's bell shows one unread message.
import { test, expect } from "@playwright/test";
import { ADMIN_PASSWORD, hydrated, login, watchConsole } from "./helpers";
import http from "node:http";
import { AddressInfo } from "node:net";

/** A webhook receiver on loopback that records what it is sent. */
async function receiver(): Promise<{ url: string; bodies: string[]; close: () => void }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => server.close() };
}

test("an admin configures a webhook channel and Send test reports success", async ({ page }) => {
  const errors = watchConsole(page);
  page.on("dialog", (d) => d.accept());
  const hook = await receiver();
  await login(page, "admin", ADMIN_PASSWORD);
  await page.goto("/admin/channels");
  await hydrated(page);
  // The policy's channels are there, waiting to be configured.
  await expect(page.getByTestId("channel-pagerduty")).toContainText(/not configured|未設定/);
  const form = page.getByTestId("channel-form");
  await form.getByLabel(/^Name$|^名前$/).fill("e2e-hook");
  await page.getByTestId("channel-kind").selectOption("webhook");
  await form.getByLabel(/^URL$/).fill("ftp://nope");
  await page.getByTestId("save-channel").click();
  await expect(page.getByTestId("err-url")).not.toBeEmpty();
  await form.getByLabel(/^URL$/).fill(hook.url);
  await form.getByLabel(/Signing secret|署名シークレット/).fill("e2e-signing-secret");
  await page.getByTestId("save-channel").click();
  await expect(page.getByTestId("channel-e2e-hook")).toContainText(/configured|設定済み/);
  // The secret is never shown again.
  await expect(page.locator("body")).not.toContainText("e2e-signing-secret");

  await page.getByTestId("test-e2e-hook").click();
  await expect(page.getByTestId("test-result-e2e-hook")).toContainText(/Delivered|送信成功/);
  expect(hook.bodies.length).toBe(1);
  expect(JSON.parse(hook.bodies[0]).kind).toBe("channel.test");
  hook.close();
  expect(errors).toEqual([]);
});

test("an operator switches maintenance on and an on-call user's bell shows one unread message", async ({ browser }) => {
  // A fresh on-call user (operators are in the oncall group), created by the admin.
  const name = `oncall${Date.now() % 100000}`;
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await login(admin, "admin", ADMIN_PASSWORD);
  await hydrated(admin);
  const created = await admin.evaluate(async (username) => {
    const res = await fetch("/rpc/admin/create_user", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `username=${username}&display_name=On+call&password=oncall-password-1&roles=operator`,
    });
    return res.status;
  }, name);
  expect(created).toBe(200);
  await adminCtx.close();

  const opCtx = await browser.newContext();
  const op = await opCtx.newPage();
  const opErrors = watchConsole(op);
  op.on("dialog", (d) => d.accept());
  await login(op, "operator", "opsdeck-demo-operator");
  await op.goto("/maintenance");
  await hydrated(op);
  await op.getByTestId("maintenance-toggle").click();
  await expect(op.getByTestId("maintenance-banner")).toBeVisible();

  const userCtx = await browser.newContext();
  const user = await userCtx.newPage();
  const userErrors = watchConsole(user);
  await login(user, name, "oncall-password-1");
  await expect(user.getByTestId("bell-count")).toHaveText("1");
  await user.getByTestId("bell").click();
  await expect(user).toHaveURL(/\/inbox$/);
  await hydrated(user);
  await expect(user.getByTestId("inbox-item")).toHaveCount(1);
  await expect(user.getByTestId("inbox-item")).toContainText(/Maintenance mode switched on|緊急メンテナンスモードを開始しました/);
  await user.getByTestId("mark-read").click();
  await expect(user.getByTestId("bell-count")).toHaveText("0");

  // Switch it off again so later tests start from normal operation.
  await op.goto("/maintenance");
  await hydrated(op);
  await op.getByTestId("maintenance-toggle").click();
  await expect(op.getByTestId("maintenance-banner")).toHaveCount(0);
  expect(opErrors).toEqual([]);
  expect(userErrors).toEqual([]);
  await opCtx.close();
  await userCtx.close();
});
