// Drives Debian's headless Chromium through the demo page and prints ONE JSON line saying whether the page's
// own video came back from the media server: remote <video> has a size and its time advances, inbound-rtp
// framesDecoded grows with no packets lost, a pixel of the remote video has the colour the page drew, and
// (single) the page shows the media server's own stats beside the browser's.
//
//   node loopback.mjs --url https://127.0.0.1:8443/ [--screenshot out.png] [--mode single|two-tabs|resume]
//                     [--timeout-ms 30000] [--camera] [--chromium /usr/bin/chromium] [--mdns] [--proxy-port P]
//
// `restart` (run inside a network namespace, as root): while the video plays, every UDP datagram in and out
// of this namespace is dropped (nftables) until the page has restarted ICE, then let through again; the page
// must restart ICE on the same call and play on. The signalling connection (TCP) is left alone.
//
// `resume`: the page is loaded through a TCP proxy this driver runs on 127.0.0.1:P (the bridge must allow
// that origin); while the video plays every proxied connection is reset, as a network cut would, and the
// page must reconnect, resume the same call and keep playing.
//
//   node loopback.mjs --url https://127.0.0.1:8443/ [--screenshot out.png] [--mode single|two-tabs]
//                     [--timeout-ms 30000] [--camera] [--chromium /usr/bin/chromium] [--mdns]
//
// --mdns leaves Chromium's default on: host candidates carry random `.local` names instead of addresses.
// Chromium shows raw host addresses to pages holding a camera or microphone permission, so with --mdns the
// page is refused the microphone (as by a person who declines it) and sends its generated video alone.
// The result's `ice` says which candidates the page gathered and which pair carried the media.
//
// Exit status 0 when every check passed, 1 when one failed, 2 on bad usage.
import { chromium } from 'playwright-core';
import { createServer, connect as tcpConnect } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tab A orange, tab B blue: far apart, so cross-wiring would show, and (unlike saturated greens or reds) they
// survive Chromium's VP8 colour conversion within the tolerance.
let COLOURS = ['#f08c14', '#1e90ff'];
const TOLERANCE = 20; // per channel: the round trip through VP8 and YUV shifts solid colours slightly
const PLAY_CHECK_MS = 2000;

function parseArgs(argv) {
  const args = { mode: 'single', timeoutMs: 30000, camera: false, chromium: '/usr/bin/chromium', mdns: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--url') args.url = value();
    else if (flag === '--screenshot') args.screenshot = value();
    else if (flag === '--mode') args.mode = value();
    else if (flag === '--timeout-ms') args.timeoutMs = Number(value());
    else if (flag === '--chromium') args.chromium = value();
    else if (flag === '--camera') args.camera = true;
    else if (flag === '--mdns') args.mdns = true;
    else if (flag === '--colors') COLOURS = value().split(',');
    else if (flag === '--proxy-port') args.proxyPort = Number(value());
    else usage(`unknown flag ${flag}`);
  }
  if (!args.url) usage('--url is required');
  if (!['single', 'two-tabs', 'resume', 'restart'].includes(args.mode)) usage('--mode must be single, two-tabs, resume or restart');
  if (args.mode === 'resume' && !(args.proxyPort > 0)) usage('--mode resume needs --proxy-port');
  if (!(args.timeoutMs > 0)) usage('--timeout-ms must be a positive number');
  return args;
}

function usage(problem) {
  console.error(`${problem}\nusage: node loopback.mjs --url URL [--screenshot PATH] [--mode single|two-tabs] [--timeout-ms N] [--camera]`);
  process.exit(2);
}

// The flags from the design notes: headless as root, a fake camera, WebRTC on loopback only (and with
// --mdns, Chromium's own mDNS hiding of host addresses left on).
function chromiumArgs(mdns) {
  return [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--allow-loopback-in-peer-connection',
    ...(mdns ? [] : [
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ]),
    '--ignore-certificate-errors', '--autoplay-policy=no-user-gesture-required',
  ];
}

// Runs before the page's script: remembers every RTCPeerConnection and the candidates it gathers, so the
// driver can say which candidates the page had and which pair carried the media (the page is unchanged).
function watchPeerConnections() {
  const Original = window.RTCPeerConnection;
  window.__driverPcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    const entry = { pc, candidates: [] };
    pc.addEventListener('icecandidate', (e) => { if (e.candidate) entry.candidates.push(e.candidate.candidate); });
    window.__driverPcs.push(entry);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
}

// Runs before the page's script with --mdns: every camera or microphone request is declined.
function declineCapture() {
  navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('declined by the test', 'NotAllowedError'));
}

// The latest peer connection's policy, gathered candidates and selected pair (types and addresses).
async function iceReport(page) {
  return page.evaluate(async () => {
    const entry = (window.__driverPcs || []).at(-1);
    if (!entry) return null;
    const stats = [...(await entry.pc.getStats()).values()];
    const byId = new Map(stats.map((s) => [s.id, s]));
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = transport ? byId.get(transport.selectedCandidatePairId)
      : stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
    const side = (id) => {
      const c = id && byId.get(id);
      return c ? { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol } : null;
    };
    return {
      policy: entry.pc.getConfiguration().iceTransportPolicy,
      gathered: entry.candidates,
      selected: pair ? { local: side(pair.localCandidateId), remote: side(pair.remoteCandidateId) } : null,
    };
  });
}

function pageUrl(base, colour, camera) {
  const url = new URL(base);
  if (!camera) {
    url.searchParams.set('source', 'canvas');
    url.searchParams.set('color', colour);
  }
  return url.toString();
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One snapshot of what the page shows and measures.
async function snapshot(page) {
  return page.evaluate(() => {
    const v = document.getElementById('videoOutput');
    const d = window.__demo || {};
    return {
      state: d.state,
      lastError: d.lastError,
      videoWidth: v.videoWidth,
      videoHeight: v.videoHeight,
      currentTime: v.currentTime,
      paused: v.paused,
      framesDecoded: d.stats ? d.stats.framesDecoded : 0,
      packetsLost: d.stats ? d.stats.packetsLost : null,
      rttMs: d.stats ? d.stats.rttMs : null,
      pixel: d.sampleRemotePixel ? d.sampleRemotePixel() : null,
      localPixel: d.sampleLocalPixel ? d.sampleLocalPixel() : null,
    };
  });
}

// Opens the page, waits for its signalling socket, clicks Start and waits for the first remote frame.
async function startTab(context, args, colour, log) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') log.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
  await page.goto(pageUrl(args.url, colour, args.camera), { timeout: args.timeoutMs });
  await page.waitForFunction(() => window.__demo && window.__demo.wsOpen, null, { timeout: args.timeoutMs });
  const clicked = Date.now();
  await page.click('#start');
  await page.waitForFunction(
    () => {
      const d = window.__demo;
      return (d.state === 'I_CAN_STOP' && document.getElementById('videoOutput').videoWidth > 0) || d.lastError;
    },
    null,
    { timeout: args.timeoutMs, polling: 20 },
  );
  const firstFrameMs = Date.now() - clicked;
  const error = await page.evaluate(() => window.__demo.lastError);
  if (error) {
    if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
    throw new Error(`the page reported an error while starting: ${error}`);
  }
  return { page, firstFrameMs };
}

// Watches a playing tab for a while and lists what is wrong with it (empty: it plays its own stream back).
// `allowLoss`: packets lost earlier (a cut path) are not a failure.
async function checkPlaying(page, colour, camera, allowLoss = false) {
  const a = await snapshot(page);
  await sleep(PLAY_CHECK_MS);
  const b = await snapshot(page);
  const failures = [];
  if (a.lastError || b.lastError) failures.push(`page error: ${b.lastError || a.lastError}`);
  if (b.state !== 'I_CAN_STOP') failures.push(`state is ${b.state}, expected I_CAN_STOP`);
  if (!(b.videoWidth > 0 && b.videoHeight > 0)) failures.push('remote video has no size');
  if (!(b.currentTime > a.currentTime)) failures.push(`remote video time did not advance (${a.currentTime} -> ${b.currentTime})`);
  if (!(b.framesDecoded > a.framesDecoded)) failures.push(`framesDecoded did not grow (${a.framesDecoded} -> ${b.framesDecoded})`);
  if (!allowLoss && b.packetsLost !== 0) failures.push(`packetsLost is ${b.packetsLost}`);
  let expected = null;
  if (!camera) {
    expected = hexToRgb(colour);
    const off = b.pixel ? b.pixel.map((c, i) => Math.abs(c - expected[i])) : null;
    if (!off || off.some((d) => d > TOLERANCE)) failures.push(`centre pixel ${JSON.stringify(b.pixel)} is not ${colour}`);
  }
  return { failures, before: a, after: b, expectedPixel: expected };
}

async function stopTab(page) {
  await page.click('#stop');
  await page.waitForFunction(() => window.__demo.state === 'I_CAN_START', null, { timeout: 5000 });
  return snapshot(page);
}

// The page's side-by-side table: it must come to show the media server's view of both directions of the
// video, agreeing with the browser's own counts (the media server refreshes its figures about once a second, so
// the two sides agree only roughly; early samples may differ more, so the check waits for agreement).
async function sideBySide(page) {
  const judge = (rows) => {
    const failures = [];
    for (const direction of ['in', 'out']) {
      const row = (rows || []).find((r) => r.kind === 'video' && r.direction === direction);
      if (!row || !row.server || !row.browser) { failures.push(`no media server stats beside the browser's for video ${direction}`); continue; }
      const { browser, server } = row;
      if (!(server.packets > 0)) failures.push(`video ${direction}: the media server counts no packets`);
      if (browser.codec.toLowerCase() !== server.codec.toLowerCase()) failures.push(`video ${direction}: browser codec ${browser.codec}, media server ${server.codec}`);
      const ratio = server.packets / Math.max(1, browser.packets);
      if (!(ratio > 0.5 && ratio < 2)) failures.push(`video ${direction}: media server counts ${server.packets} packets, the browser ${browser.packets}`);
    }
    return failures;
  };
  const deadline = Date.now() + 10000;
  let rows = null;
  let failures = ['not checked'];
  while (Date.now() < deadline) {
    rows = await page.evaluate(() => window.__demo.sideBySide);
    failures = judge(rows);
    if (failures.length === 0) break;
    await sleep(250);
  }
  return { rows, failures };
}

async function runSingle(context, args, log) {
  const colour = COLOURS[0];
  const { page, firstFrameMs } = await startTab(context, args, colour, log);
  const check = await checkPlaying(page, colour, args.camera);
  const stats = await sideBySide(page);
  const ice = await iceReport(page);
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
  const stopped = await stopTab(page);
  const failures = [...check.failures, ...stats.failures];
  if (stopped.lastError !== check.after.lastError) failures.push(`error after stop: ${stopped.lastError}`);
  return { firstFrameMs, ...check, sideBySide: stats.rows, failures, stoppedState: stopped.state, ice };
}

// A TCP proxy on 127.0.0.1:`port` to `upstream`, whose `cut()` resets every connection open through it.
function startProxy(port, upstream) {
  const open = new Set();
  const server = createServer((client) => {
    const server = tcpConnect(upstream.port, upstream.hostname);
    const pair = { client, server };
    open.add(pair);
    const close = () => { open.delete(pair); client.destroy(); server.destroy(); };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
    client.pipe(server);
    server.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({
      cut() {
        const n = open.size;
        for (const { client, server } of open) { client.resetAndDestroy(); server.resetAndDestroy(); }
        open.clear();
        return n;
      },
      close() { server.close(); for (const { client, server } of open) { client.destroy(); server.destroy(); } },
    }));
  });
}

// The video plays; every connection to the bridge is reset; the page must reconnect, resume the same call and
// go on playing, without ever leaving the playing state.
async function runResume(context, args, log) {
  const colour = COLOURS[0];
  const upstream = new URL(args.url);
  const proxy = await startProxy(args.proxyPort, upstream);
  try {
    const proxied = new URL(args.url);
    proxied.port = String(args.proxyPort);
    const { page, firstFrameMs } = await startTab(context, { ...args, url: proxied.toString() }, colour, log);
    const before = await checkPlaying(page, colour, args.camera);
    const cutAt = Date.now();
    const connectionsCut = proxy.cut();
    // Watch the page while it reconnects: it must never stop the call.
    let left = null;
    await page.waitForFunction(() => window.__demo.reconnecting || window.__demo.resumes > 0, null, { timeout: 5000, polling: 10 });
    while (true) {
      const s = await page.evaluate(() => ({ resumes: window.__demo.resumes, state: window.__demo.state, lastError: window.__demo.lastError, wsOpen: window.__demo.wsOpen }));
      if (s.state !== 'I_CAN_STOP' || s.lastError) { left = s; break; }
      if (s.resumes > 0 && s.wsOpen) break;
      if (Date.now() - cutAt > args.timeoutMs) { left = { ...s, timedOut: true }; break; }
      await sleep(20);
    }
    const resumeMs = Date.now() - cutAt;
    const after = await checkPlaying(page, colour, args.camera);
    const stats = await sideBySide(page);
    if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
    const stopped = await stopTab(page);
    const failures = [
      ...before.failures.map((f) => `before the cut: ${f}`),
      ...after.failures.map((f) => `after the resume: ${f}`),
      ...stats.failures,
    ];
    if (connectionsCut === 0) failures.push('the proxy had no connection to cut');
    if (left) failures.push(`the page left the call while reconnecting: ${JSON.stringify(left)}`);
    if (!(after.after.framesDecoded > before.after.framesDecoded)) failures.push('no frames were decoded across the cut');
    if (stopped.lastError !== after.after.lastError) failures.push(`error after stop: ${stopped.lastError}`);
    return { firstFrameMs, connectionsCut, resumeMs, resumes: await page.evaluate(() => window.__demo.resumes), before: before.after, after: after.after, sideBySide: stats.rows, failures };
  } finally {
    proxy.close();
  }
}

// Drops every UDP datagram in and out of this network namespace (the media path), or lets them through again.
const PATH_CUT = `table inet pathcut {
  chain out { type filter hook output priority 0; policy accept; meta l4proto udp drop; }
  chain in { type filter hook input priority 0; policy accept; meta l4proto udp drop; }
}`;
function cutMediaPath(on) {
  if (on) execFileSync('nft', ['-f', '-'], { input: PATH_CUT });
  else execFileSync('nft', ['delete', 'table', 'inet', 'pathcut']);
}

// The video plays; the media path is cut until the page restarts ICE, then restored: the same call must
// come back on new ICE credentials and play on.
async function runRestart(context, args, log) {
  const colour = COLOURS[0];
  const { page, firstFrameMs } = await startTab(context, args, colour, log);
  const before = await checkPlaying(page, colour, args.camera);
  const demo = () => page.evaluate(() => ({
    iceState: window.__demo.iceState, iceRestarts: window.__demo.iceRestarts,
    iceRestartsAnswered: window.__demo.iceRestartsAnswered, remoteUfrags: window.__demo.remoteUfrags,
    state: window.__demo.state, lastError: window.__demo.lastError,
  }));
  const failures = before.failures.map((f) => `before the cut: ${f}`);
  let cut = false;
  let restartedMs = null;
  let backMs = null;
  const cutAt = Date.now();
  try {
    cutMediaPath(true);
    cut = true;
    await page.waitForFunction(() => window.__demo.iceRestartsAnswered > 0 || window.__demo.lastError, null, { timeout: 30000, polling: 50 });
    restartedMs = Date.now() - cutAt;
  } catch (e) {
    failures.push(`the page did not restart ICE within 30 s of the cut: ${JSON.stringify(await demo())}`);
  } finally {
    if (cut) cutMediaPath(false);
  }
  const restoredAt = Date.now();
  try {
    await page.waitForFunction(() => ['connected', 'completed'].includes(window.__demo.iceState), null, { timeout: 30000, polling: 50 });
    backMs = Date.now() - restoredAt;
  } catch (e) {
    failures.push(`ICE did not connect again within 30 s of the restore: ${JSON.stringify(await demo())}`);
  }
  // Datagrams dropped during the cut count as lost: only the media afterwards is judged.
  const after = await checkPlaying(page, colour, args.camera, true);
  failures.push(...after.failures.map((f) => `after the restart: ${f}`));
  const seen = await demo();
  if (seen.remoteUfrags.length < 2 || seen.remoteUfrags[0] === seen.remoteUfrags[seen.remoteUfrags.length - 1]) failures.push(`the media server's ICE credentials did not change: ${JSON.stringify(seen.remoteUfrags)}`);
  if (!(after.after.framesDecoded > before.after.framesDecoded)) failures.push('no frames were decoded after the restart');
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
  const stopped = await stopTab(page);
  if (stopped.lastError) failures.push(`page error: ${stopped.lastError}`);
  return { firstFrameMs, restartedMs, backMs, ...seen, before: before.after, after: after.after, failures };
}

// Two tabs of one browser (one cookie jar): each must get its own loopback, and closing one must leave the
// other playing.
async function runTwoTabs(context, args, log) {
  const [a, b] = await Promise.all(COLOURS.map((c) => startTab(context, args, c, log)));
  const [checkA, checkB] = await Promise.all([
    checkPlaying(a.page, COLOURS[0], args.camera),
    checkPlaying(b.page, COLOURS[1], args.camera),
  ]);
  await a.page.close();
  const afterClose = await checkPlaying(b.page, COLOURS[1], args.camera);
  if (args.screenshot) await b.page.screenshot({ path: args.screenshot, fullPage: true });
  await stopTab(b.page);
  const failures = [
    ...checkA.failures.map((f) => `tab A: ${f}`),
    ...checkB.failures.map((f) => `tab B: ${f}`),
    ...afterClose.failures.map((f) => `tab B after closing tab A: ${f}`),
  ];
  return {
    firstFrameMs: [a.firstFrameMs, b.firstFrameMs],
    tabA: checkA.after,
    tabB: checkB.after,
    tabBAfterClose: afterClose.after,
    failures,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const profile = mkdtempSync(join(tmpdir(), 'loopback-chromium-'));
  const log = [];
  let result;
  let context;
  try {
    // A persistent context is how playwright takes a fresh --user-data-dir of our own.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium,
      headless: true,
      args: chromiumArgs(args.mdns),
      timeout: args.timeoutMs,
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
    });
    await context.addInitScript(watchPeerConnections);
    if (args.mdns) await context.addInitScript(declineCapture);
    const run = { single: runSingle, 'two-tabs': runTwoTabs, resume: runResume, restart: runRestart }[args.mode];
    result = await run(context, args, log);
  } catch (e) {
    result = { failures: [`driver error: ${e.message.split('\n')[0]}`] };
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  const ok = result.failures.length === 0;
  console.log(JSON.stringify({ ok, mode: args.mode, url: args.url, screenshot: args.screenshot || null, ...result, log }));
  process.exit(ok ? 0 : 1);
}

main();
