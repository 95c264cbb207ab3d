// Drives the status page in headless Chromium (puppeteer-core): waits for
// every named connector to show RUNNING with a throughput line, takes a
// screenshot, clicks one connector's Pause button and waits for the page to
// show it PAUSED. Prints what it saw as JSON.
//
// usage: node status-page.cjs <chromium> <puppeteer-core dir> <base url>
//          <screenshot.png> <connector to pause> <connector>...
"use strict";
const path = require("path");
const [chromium, puppeteerDir, base, screenshot, toPause, ...names] = process.argv.slice(2);
const puppeteer = require(path.join(puppeteerDir, "node_modules", "puppeteer-core"));

const card = name => `section.connector[data-name="${name}"]`;

(async () => {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on("console", m => { if (m.type() === "error") problems.push(m.text()); });
    page.on("pageerror", e => problems.push(String(e)));
    page.on("requestfailed", r => problems.push(`${r.url()}: ${r.failure().errorText}`));
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(`${base}/ui`, { waitUntil: "load" });
    // Two samples make a line: wait for both lines (throughput, lag) of each card.
    await page.waitForFunction(wanted => wanted.every(name => {
      const s = document.querySelector(`section.connector[data-name="${name}"][data-state="RUNNING"]`);
      return s && [...s.querySelectorAll("polyline")].filter(p => p.getAttribute("points").includes(" ")).length === 2;
    }), { timeout: 60000, polling: 500 }, [toPause, ...names]);
    await page.screenshot({ path: screenshot, fullPage: true });
    const seen = await page.$$eval("section.connector", sections => sections.map(s => ({
      name: s.dataset.name,
      state: s.dataset.state,
      errors: s.querySelectorAll(".errors li").length,
      text: s.innerText,
    })));
    await page.click(`${card(toPause)} button[data-action="pause"]`);
    await page.waitForSelector(`${card(toPause)}[data-state="PAUSED"]`, { timeout: 30000 });
    const message = await page.$eval("#message", e => e.textContent);
    console.log(JSON.stringify({ seen, paused: toPause, message, problems }));
  } finally {
    await browser.close();
  }
})().catch(e => {
  console.error(e && e.stack || String(e));
  process.exit(1);
});
