// tests/browser/workbench.test.mjs — the what-if workbench in a real
// browser: Debian's headless Chromium driven by playwright-core, against
// `kaohe serve` on the sample (started by run.sh; its address in
// KAOHE_SERVE_URL). Run with: bash tests/browser/run.sh
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { writeFileSync, readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";

const base = process.env.KAOHE_SERVE_URL;
const shots = process.env.KAOHE_SHOTS || mkdtempSync(join(tmpdir(), "kaohe-shots-"));
let browser, page;
const problems = [];

before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"] });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") problems.push(m.text()); });
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("requestfailed", (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
  await page.goto(base);
  await page.waitForSelector("#t-ranking tr.row", { state: "attached" });
});

after(async () => { await browser?.close(); });

// A PNG that is not one flat colour: its pixel bytes take many values.
function notBlank(png) {
  let at = 8, idat = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at), type = png.toString("latin1", at + 4, at + 8);
    if (type === "IDAT") idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const pixels = inflateSync(Buffer.concat(idat));
  return new Set(pixels).size;
}

async function shot(name) {
  await page.waitForTimeout(400); // a smooth scroll (the card) comes to rest
  const png = await page.screenshot({ fullPage: false });
  writeFileSync(join(shots, name), png);
  assert.ok(notBlank(png) > 20, `${name} is blank`);
}

test("the overview and the ranking show the sample's 50 communities", async () => {
  assert.match(await page.textContent("#meta"), /海滨市.*50 个社区/);
  assert.equal(await page.locator("#t-ranking tr.row").count(), 50);
  await shot("overview.png");
});

test("the ranking sorts by a column, filters by district and finds by name", async () => {
  await page.click("nav button[data-tab=ranking]");
  const totals = async () => page.$$eval("#t-ranking tr.row td:nth-child(5)", (cells) => cells.map((c) => +c.textContent));
  await page.click("#t-ranking th[data-key=total]");
  const high = await totals();
  assert.deepEqual(high, [...high].sort((a, b) => b - a), "highest total first after one click");
  await page.click("#t-ranking th[data-key=total]");
  const low = await totals();
  assert.deepEqual(low, [...low].sort((a, b) => a - b), "lowest first after a second click");
  const district = await page.$eval("#f-district option:nth-child(2)", (o) => o.value);
  await page.selectOption("#f-district", district);
  const shown = await page.$$eval("#t-ranking tr.row td:nth-child(3)", (cells) => cells.map((c) => c.textContent));
  assert.ok(shown.length > 0 && shown.every((d) => d === district));
  await page.selectOption("#f-district", "");
  await page.fill("#f-name", "新华");
  assert.equal(await page.locator("#t-ranking tr.row").count(), 1);
  await page.click("#t-ranking tr.row");
  await page.waitForSelector("#card h2");
  assert.match(await page.textContent("#card h2"), /新华社区/);
  assert.equal(await page.locator("#card table tr").count(), 34, "33 indicators on the card");
  await shot("ranking.png");
  await page.fill("#f-name", "");
});

test("a what-if shows the community whose stars change, by name", async () => {
  const expected = await (await fetch(`${base}/api/whatif`, { method: "POST",
    body: JSON.stringify({ set: { "stars.five": 80 } }) })).json();
  const flipped = expected.communities.filter((c) => c.stars_before !== c.stars_after).map((c) => c.name);
  assert.ok(flipped.length > 0);
  await page.click("nav button[data-tab=whatif]");
  const box = page.locator(".pv").nth(await page.$$eval(".name", (ns) => ns.findIndex((n) => n.textContent.startsWith("stars.five"))));
  await box.fill("80");
  await page.click("#run");
  await page.waitForSelector("#answer table");
  const text = await page.textContent("#answer");
  for (const name of flipped) assert.ok(text.includes(name), `${name} is not in the answer`);
  await shot("whatif.png");
});

test("a what-if on the elimination ratio names the newly flagged workers", async () => {
  const expected = await (await fetch(`${base}/api/whatif`, { method: "POST",
    body: JSON.stringify({ set: { "elimination.bottom_ratio": 0.2 } }) })).json();
  const names = expected.workers.filter((w) => w.flag_after === "bottom_ratio" && !w.flag_before).map((w) => w.name);
  assert.ok(names.length > 0);
  await page.click("#reset");
  const i = await page.$$eval(".name", (ns) => ns.findIndex((n) => n.textContent.startsWith("elimination.bottom_ratio")));
  await page.locator(".pv").nth(i).fill("0.2");
  await page.click("#run");
  await page.waitForSelector("#answer table");
  const text = await page.textContent("#answer");
  for (const name of names) assert.ok(text.includes(name), `${name} is not in the answer`);
});

test("a bad value shows --set's message and no answer", async () => {
  await page.click("#reset");
  const i = await page.$$eval(".name", (ns) => ns.findIndex((n) => n.textContent.startsWith("stars.five")));
  await page.locator(".pv").nth(i).fill("abc");
  await page.click("#run");
  await page.waitForFunction(() => document.querySelector("#w-error").textContent.length > 0);
  assert.match(await page.textContent("#w-error"), /--set stars\.five=abc: not a number/);
  assert.equal(await page.textContent("#answer"), "");
  problems.length = 0; // the 400 itself is logged by the browser as a failed resource
});

test("a scenario saved as a file loads again with the same answer", async () => {
  await page.click("#reset");
  const i = await page.$$eval(".name", (ns) => ns.findIndex((n) => n.textContent.startsWith("stars.five")));
  await page.locator(".pv").nth(i).fill("85");
  await page.click("#run");
  await page.waitForSelector("#answer table");
  const first = await page.textContent("#answer");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
  const file = join(shots, "scenario.lua");
  await download.saveAs(file);
  assert.match(readFileSync(file, "utf8"), /\["stars\.five"\] = 85/);
  await page.reload();
  await page.waitForSelector("#t-ranking tr.row", { state: "attached" });
  await page.click("nav button[data-tab=whatif]");
  await page.setInputFiles("#load", file);
  await page.waitForSelector("#answer table");
  assert.equal(await page.textContent("#answer"), first);
});

test("the answer exports as one HTML page with the changed parameter", async () => {
  await page.click("nav button[data-tab=whatif]");
  await page.click("#reset");
  const i = await page.$$eval(".name", (ns) => ns.findIndex((n) => n.textContent.startsWith("stars.five")));
  await page.locator(".pv").nth(i).fill("80");
  await page.click("#run");
  await page.waitForSelector("#answer table");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-html")]);
  const file = join(shots, "whatif.html");
  await download.saveAs(file);
  const html = readFileSync(file, "utf8");
  assert.match(html, /stars\.five<\/td><td>90<\/td><td>80/);
  assert.ok(!/<script/i.test(html), "the exported page runs no script");
  const names = await page.$$eval("#answer table:first-of-type tr td:first-child", (cells) => cells.map((c) => c.textContent));
  for (const name of names) assert.ok(html.includes(name), `${name} is not in the exported page`);
});

test("a sweep draws its chart in the page", async () => {
  await page.click("nav button[data-tab=whatif]");
  await page.selectOption("#s-name", "stars.five");
  await page.fill("#s-from", "80");
  await page.fill("#s-to", "95");
  await page.fill("#s-step", "5");
  await page.click("#s-run");
  await page.waitForSelector("#s-chart img");
  const size = await page.$eval("#s-chart img", async (img) => { await img.decode(); return img.naturalWidth; });
  assert.ok(size > 100, "the chart has a width");
  await page.locator("#s-chart").scrollIntoViewIfNeeded();
  await shot("sweep.png");
});

test("every list explains its row: a card's next star, a worker's flag, a task's decision", async () => {
  await page.click("nav button[data-tab=ranking]");
  await page.fill("#f-name", "新华");
  await page.click("#t-ranking tr.row");
  await page.waitForSelector("#card h2");
  assert.match(await page.textContent("#card p"), /还差 \d+\.\d+ 分/);
  await page.fill("#f-name", "");
  await page.click("nav button[data-tab=workers]");
  await page.click("#t-workers tr.row");
  await page.waitForSelector("#w-why table");
  assert.match(await page.textContent("#w-why"), /why/);
  await page.click("nav button[data-tab=decisions]");
  await page.click("#t-decisions tr.row");
  await page.waitForSelector("#d-why table");
  assert.match(await page.textContent("#d-why"), /decision/);
});

test("decisions filter by department and by entry", async () => {
  await page.click("nav button[data-tab=decisions]");
  const department = await page.$eval("#d-department option:nth-child(2)", (o) => o.value);
  await page.selectOption("#d-department", department);
  const shown = await page.$$eval("#t-decisions tr.row td:nth-child(3)", (cells) => cells.map((c) => c.textContent));
  assert.ok(shown.length > 0 && shown.every((d) => d === department));
  await page.selectOption("#d-department", "");
  const entry = await page.$eval("#d-entry option:nth-child(2)", (o) => o.value);
  await page.selectOption("#d-entry", entry);
  const entries = await page.$$eval("#t-decisions tr.row td:nth-child(5)", (cells) => cells.map((c) => c.textContent));
  assert.ok(entries.length > 0 && entries.every((x) => x === entry));
  await page.selectOption("#d-entry", "");
});

test("no console errors on the way", () => {
  assert.deepEqual(problems, []);
});
