// Drives the status page in headless Chromium (puppeteer-core): waits for
// every named connector to show RUNNING with a throughput line and its
// records finished, takes a screenshot, reads each card's structure (axes,
// figures, plugins, sink), hovers a plot, opens a partition table, clicks
// one connector's Pause button and waits for the page to show it PAUSED.
// Prints what it saw as JSON.
//
// usage: node status-page.cjs <chromium> <puppeteer-core dir> <base url>
//          <screenshot.png> <finished records to wait for, per connector as
//          name=count,...> <connector to pause> <connector>...
"use strict";
const path = require("path");
const [chromium, puppeteerDir, base, screenshot, finished, toPause, ...names] = process.argv.slice(2);
const wantFinished = Object.fromEntries(finished.split(",").map(kv => kv.split("=")));
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
  let page;
  try {
    page = await browser.newPage();
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
    // Every record finished, as the page counts them, and the plugins'
    // versions shown (the plugin directory loads in the background).
    await page.waitForFunction(want => Object.entries(want).every(([name, n]) => {
      const s = document.querySelector(`section.connector[data-name="${name}"]`);
      const b = s && s.querySelector('[data-count="finished"] b');
      return b && b.textContent === n && s.querySelector(".plugins").textContent.includes("contract");
    }), { timeout: 120000, polling: 500 }, wantFinished);
    await page.screenshot({ path: screenshot, fullPage: true });
    const seen = await page.$$eval("section.connector", sections => sections.map(s => {
      const count = label => s.querySelector(`[data-count="${label}"] b`).textContent;
      const chart = key => {
        const c = s.querySelector(`[data-chart="${s.dataset.name}/${key}"]`);
        const svg = c.querySelector("svg");
        return {
          now: c.querySelector(".now").textContent,
          window_seconds: Number(svg.dataset.windowSeconds),
          x_labels: [...svg.querySelectorAll("text.axis.x")].map(t => t.textContent),
          y_labels: [...svg.querySelectorAll("text.axis.y")].map(t => t.textContent),
        };
      };
      return {
        name: s.dataset.name,
        state: s.dataset.state,
        errors: s.querySelectorAll(".errors li").length,
        text: s.innerText,
        counts: { finished: count("finished"), lag: count("lag"), dead_lettered: count("dead-lettered") },
        sink: s.querySelector(".sink code").textContent,
        plugins: [...s.querySelectorAll(".plugins code")].map(c => c.textContent),
        rate: chart("rate"),
        lag: chart("lag"),
      };
    }));
    // Hovering a plot shows the sample under the pointer.
    const area = await page.$(`${card(toPause)} [data-chart="${toPause}/rate"] svg rect`);
    const box = await area.boundingBox();
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    const tip = await page.$eval(`${card(toPause)} [data-chart="${toPause}/rate"] .tip`, e => e.textContent);
    await page.mouse.move(0, 0);
    // The partition table opens on demand and stays open across refreshes.
    await page.click(`${card(toPause)} details.partitions summary`);
    await new Promise(r => setTimeout(r, 6000));
    const partitions = await page.$eval(`${card(toPause)} details.partitions`, d => ({
      open: d.open,
      rows: [...d.querySelectorAll("tr[data-partition]")].map(r => [...r.cells].map(c => c.textContent)),
    }));
    await page.click(`${card(toPause)} button[data-action="pause"]`);
    await page.waitForSelector(`${card(toPause)}[data-state="PAUSED"]`, { timeout: 30000 });
    const message = await page.$eval("#message", e => e.textContent);
    console.log(JSON.stringify({ seen, tip, partitions, paused: toPause, message, problems }));
  } catch (e) {
    // What the page showed when a wait ran out, for the failure message.
    const shown = page ? await page.$eval("main", m => m.innerText).catch(() => "") : "";
    throw new Error(`${e && e.message}\nproblems: ${JSON.stringify(problems)}\npage:\n${shown}`);
  } finally {
    await browser.close();
  }
})().catch(e => {
  console.error(e && e.stack || String(e));
  process.exit(1);
});
