// Publishes from Debian's headless Chromium to a WHIP endpoint with a third-party client, medooze's
// whip-whep (`WHIPClient`, installed from npm into node_modules), and prints ONE JSON line: whether the
// media service's echo came back (the remote video plays and inbound-rtp framesDecoded grows), the
// client's stats, the answer's directions, and whether its stop() (which sends DELETE) finished.
// With `--direction sendonly` the transceivers only send, as a camera or OBS publishes: the checks are
// then that the answer is recvonly, that the media goes out (outbound-rtp grows) and that nothing comes
// back; the caller checks at the server that it arrived. With `--restart`, once the echo plays the
// client restarts ICE (`WHIPClient.restart()`: RTCPeerConnection.restartIce(), then a PATCH with
// If-Match: * and the new credentials, RFC 9725 section 4.3.2), and the echo must keep playing on the
// new ICE credentials (both sides' ufrags changed) for another --publish-ms.
//
//   node whip.mjs --endpoint http://127.0.0.1:8080/whip --page-port 41000 [--token T] [--publish-ms 4000]
//                 [--direction sendrecv|sendonly] [--timeout-ms 30000] [--chromium /usr/bin/chromium]
//                 [--screenshot out.png] [--restart]
//
// The page and the client's module are served by this script's own HTTP server on 127.0.0.1:--page-port,
// another origin than the endpoint's, so the browser's CORS rules apply to every WHIP request as they would
// for a real publisher page. Exit status 0 when every check passed, 1 when one failed, 2 on bad usage.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { publishMs: 4000, timeoutMs: 30000, chromium: '/usr/bin/chromium', direction: 'sendrecv', restart: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--endpoint') args.endpoint = value();
    else if (flag === '--page-port') args.pagePort = Number(value());
    else if (flag === '--token') args.token = value();
    else if (flag === '--publish-ms') args.publishMs = Number(value());
    else if (flag === '--direction') args.direction = value();
    else if (flag === '--timeout-ms') args.timeoutMs = Number(value());
    else if (flag === '--chromium') args.chromium = value();
    else if (flag === '--screenshot') args.screenshot = value();
    else if (flag === '--restart') args.restart = true;
    else usage(`unknown flag ${flag}`);
  }
  if (!args.endpoint) usage('--endpoint is required');
  if (!(args.pagePort > 0)) usage('--page-port must be a port number');
  if (!['sendrecv', 'sendonly'].includes(args.direction)) usage('--direction must be sendrecv or sendonly');
  return args;
}

function usage(problem) {
  console.error(`${problem}\nusage: node whip.mjs --endpoint URL --page-port N [--token T] [--publish-ms N]`);
  process.exit(2);
}

// The publisher page: a fake camera and microphone, transceivers of the chosen direction (sendrecv: the
// media service echoes), the echo shown in a <video>, and the client's numbers in window.__whip.
const PAGE = `<!doctype html>
<meta charset="utf-8"><title>WHIP publisher</title>
<video id="echo" autoplay playsinline muted width="320" height="240"></video>
<script type="module">
import { WHIPClient } from '/whip.js';
const state = { phase: 'idle', error: null };
window.__whip = state;
window.publish = async (endpoint, token, direction) => {
  try {
    state.phase = 'camera';
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const pc = new RTCPeerConnection();
    state.pc = pc;
    for (const track of stream.getTracks()) pc.addTransceiver(track, { direction, streams: [stream] });
    const echo = new MediaStream();
    pc.ontrack = (e) => { echo.addTrack(e.track); document.getElementById('echo').srcObject = echo; };
    const client = new WHIPClient();
    state.client = client;
    state.phase = 'publishing';
    await client.publish(pc, endpoint, token);
    state.phase = 'published';
    state.location = client.resourceURL ? client.resourceURL.toString() : null;
    state.etag = client.etag;
    const answer = pc.currentRemoteDescription ? pc.currentRemoteDescription.sdp : '';
    state.answerDirections = answer.split(/\\r?\\n/).filter((l) => /^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l))
      .map((l) => l.slice(2));
    // Sampled here so the driver can wait on a plain value (waitForFunction does not await promises).
    state.sampler = setInterval(async () => { state.stats = await window.stats(); }, 100);
  } catch (e) {
    state.error = String(e && e.message || e);
  }
};
window.stats = async () => {
  const out = { connectionState: state.pc ? state.pc.connectionState : null };
  if (state.pc) {
    const report = await state.pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        Object.assign(out, { framesDecoded: s.framesDecoded, packetsLost: s.packetsLost, bytesReceived: s.bytesReceived,
          frameWidth: s.frameWidth, frameHeight: s.frameHeight });
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPacketsReceived = s.packetsReceived;
      if (s.type === 'outbound-rtp' && s.kind === 'video') Object.assign(out, { framesEncoded: s.framesEncoded, bytesSent: s.bytesSent });
      if (s.type === 'outbound-rtp' && s.kind === 'audio') out.audioPacketsSent = s.packetsSent;
    });
  }
  const v = document.getElementById('echo');
  Object.assign(out, { videoWidth: v.videoWidth, videoHeight: v.videoHeight, currentTime: v.currentTime });
  return out;
};
window.ufrags = () => {
  const ufrag = (d) => { const m = d && d.sdp.match(/a=ice-ufrag:(.*)\\r\\n/); return m ? m[1] : null; };
  return { local: ufrag(state.pc.localDescription), remote: ufrag(state.pc.remoteDescription) };
};
window.restartIce = async () => {
  try {
    const started = Date.now();
    await state.client.restart();
    return { ms: Date.now() - started, etag: state.client.etag };
  } catch (e) {
    return { error: String(e && e.message || e) };
  }
};
window.unpublish = async () => {
  clearInterval(state.sampler);
  try {
    await state.client.stop();
    state.phase = 'stopped';
  } catch (e) {
    state.error = String(e && e.message || e);
  }
};
</script>`;

// The page at / and the client's module, read from the installed npm package, at /whip.js.
function servePage(port) {
  const client = readFileSync(join(here, 'node_modules/whip-whep/whip.js'));
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else if (req.url === '/whip.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(client);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function chromiumArgs() {
  return [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--ignore-certificate-errors', '--autoplay-policy=no-user-gesture-required',
  ];
}

async function run(context, args, log) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') log.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
  const requests = [];
  // Every WHIP request the client made (preflights included), as `METHOD status`.
  page.on('response', (r) => {
    if (r.url().startsWith(args.endpoint)) requests.push(`${r.request().method()} ${r.status()}`);
  });
  page.on('requestfailed', (r) => {
    if (r.url().startsWith(args.endpoint)) requests.push(`${r.method()} failed: ${r.failure() && r.failure().errorText}`);
  });
  await page.goto(`http://127.0.0.1:${args.pagePort}/`, { timeout: args.timeoutMs });
  await page.waitForFunction(() => typeof window.publish === 'function', null, { timeout: args.timeoutMs });
  const started = Date.now();
  await page.evaluate(({ endpoint, token, direction }) => window.publish(endpoint, token, direction),
    { endpoint: args.endpoint, token: args.token, direction: args.direction });
  const failures = [];
  const published = await page.evaluate(() => ({ phase: window.__whip.phase, error: window.__whip.error, location: window.__whip.location,
    etag: window.__whip.etag, answerDirections: window.__whip.answerDirections }));
  if (published.error) throw new Error(`publish failed: ${published.error}`);
  const echo = args.direction === 'sendrecv';
  // With an echo, the first decoded frame; without, the first bytes out on a connected transport.
  const firstFrame = echo
    ? () => (window.__whip.stats || {}).framesDecoded > 0
    : () => { const s = window.__whip.stats || {}; return s.connectionState === 'connected' && s.bytesSent > 0; };
  await page.waitForFunction(firstFrame, null, { timeout: args.timeoutMs, polling: 100 });
  const firstFrameMs = Date.now() - started;
  const before = await page.evaluate(() => window.stats());
  await sleep(args.publishMs);
  const after = await page.evaluate(() => window.stats());
  if (args.screenshot) await page.screenshot({ path: args.screenshot });
  if (echo) {
    if (!(after.framesDecoded > before.framesDecoded)) failures.push(`framesDecoded did not grow (${before.framesDecoded} -> ${after.framesDecoded})`);
    if (!(after.videoWidth > 0 && after.currentTime > before.currentTime)) failures.push(`the echo video does not play (${JSON.stringify(after)})`);
  } else {
    if (!(after.framesEncoded > before.framesEncoded && after.bytesSent > before.bytesSent)) failures.push(`video did not keep going out (${JSON.stringify(before)} -> ${JSON.stringify(after)})`);
    if (!(after.audioPacketsSent > before.audioPacketsSent)) failures.push(`audio did not keep going out (${before.audioPacketsSent} -> ${after.audioPacketsSent})`);
    if (after.framesDecoded > 0 || after.audioPacketsReceived > 0) failures.push(`media came back to a sendonly publisher (${JSON.stringify(after)})`);
    if (!(published.answerDirections || []).every((d) => d === 'recvonly')) failures.push(`the answer is not recvonly: ${published.answerDirections}`);
  }
  if (!(after.framesEncoded > 0)) failures.push('nothing was encoded');
  let restart = null;
  if (args.restart && echo) {
    const ufragsBefore = await page.evaluate(() => window.ufrags());
    const restarted = await page.evaluate(() => window.restartIce());
    if (restarted.error) failures.push(`restart failed: ${restarted.error}`);
    const ufragsAfter = await page.evaluate(() => window.ufrags());
    if (ufragsAfter.local === ufragsBefore.local) failures.push('the local ufrag did not change');
    if (ufragsAfter.remote === ufragsBefore.remote) failures.push("the server's ufrag did not change");
    if (restarted.etag === published.etag) failures.push('the ETag did not change');
    const atRestart = await page.evaluate(() => window.stats());
    await sleep(args.publishMs);
    const later = await page.evaluate(() => window.stats());
    if (!(later.framesDecoded > atRestart.framesDecoded)) failures.push(`framesDecoded did not grow after the restart (${atRestart.framesDecoded} -> ${later.framesDecoded})`);
    if (!(later.currentTime > atRestart.currentTime)) failures.push('the echo video stopped after the restart');
    if (later.connectionState !== 'connected') failures.push(`connection ${later.connectionState} after the restart`);
    restart = { ms: restarted.ms, ufragsBefore, ufragsAfter, atRestart, later };
  }
  await page.evaluate(() => window.unpublish());
  const stopped = await page.evaluate(() => ({ phase: window.__whip.phase, error: window.__whip.error }));
  if (stopped.phase !== 'stopped') failures.push(`stop() did not finish: ${stopped.error}`);
  // requestfinished fires asynchronously; give the DELETE's event a moment.
  for (let i = 0; i < 20 && !requests.some((r) => r.startsWith('DELETE')); i++) await sleep(50);
  return { published, firstFrameMs, before, after, restart, requests, failures };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const server = await servePage(args.pagePort);
  const profile = mkdtempSync(join(tmpdir(), 'whip-chromium-'));
  const log = [];
  let result;
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: args.chromium,
      headless: true,
      args: chromiumArgs(),
      timeout: args.timeoutMs,
      ignoreHTTPSErrors: true,
    });
    result = await run(context, args, log);
  } catch (e) {
    result = { failures: [`driver error: ${e.message.split('\n')[0]}`] };
  } finally {
    if (context) await context.close().catch(() => {});
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const ok = result.failures.length === 0;
  console.log(JSON.stringify({ ok, endpoint: args.endpoint, direction: args.direction, ...result, log }));
  process.exit(ok ? 0 : 1);
}

main();
