// The loopback demo's browser side: the tutorial's /helloworld protocol, trickle ICE both ways, re-attach after
// the signalling socket drops, live statistics from the browser and the media server side by side, and test
// hooks on window.__demo. Plain JavaScript, no build step, no libraries.
'use strict';

(function () {
  // The tutorial's three states, with its names and values.
  const I_CAN_START = 0;
  const I_CAN_STOP = 1;
  const I_AM_STARTING = 2;
  const STATE_NAMES = { 0: 'I_CAN_START', 1: 'I_CAN_STOP', 2: 'I_AM_STARTING' };
  const STATS_INTERVAL_MS = 1000;
  // The media server's view is asked for every other browser sample: it is a round trip to the media server.
  const SERVER_STATS_EVERY = 2;
  // Reconnect attempts after the signalling socket drops: quick at first, then at most this far apart.
  const RECONNECT_FIRST_MS = 250;
  const RECONNECT_MAX_MS = 2000;
  // Messages held for the server while the socket is down (the browser's late candidates).
  const OUTBOX_LIMIT = 100;
  // How long ICE may stay `disconnected` before the page restarts it (Chromium says `disconnected` after
  // about 5 s without answers to its consent checks, and may come back alone from a short blip).
  const DISCONNECTED_GRACE_MS = 2000;
  // A restart that has not connected this long after its answer is tried again, up to ICE_RESTARTS times.
  const RESTART_RETRY_MS = 8000;
  const ICE_RESTARTS = 5;
  const CHART_POINTS = 60;

  const params = new URLSearchParams(location.search);
  // Test mode: send a canvas filled with this colour instead of the camera, so a test can check pixels.
  const canvasSource = params.get('source') === 'canvas';
  const canvasColor = params.get('color') || '#f08c14';

  const $ = (id) => document.getElementById(id);
  const videoInput = $('videoInput');
  const videoOutput = $('videoOutput');
  const startButton = $('start');
  const stopButton = $('stop');

  // Everything a test needs to read, kept current.
  const demo = {
    state: 'I_CAN_START',
    lastError: null,
    errors: [],
    events: [],
    stats: null,
    statsHistory: [],
    wsOpen: false,
    // Times the call was resumed on a new signalling socket, and whether a resume is under way.
    resumes: 0,
    reconnecting: false,
    // ICE restarts the page asked for (its connection failed, or its network changed), and answered.
    iceRestarts: 0,
    iceRestartsAnswered: 0,
    // The browser's ICE connection state, and the media server's ICE ufrag from each answer applied.
    iceState: null,
    remoteUfrags: [],
    // The media server's last view of the call (the `stats` message's streams), and the rows shown.
    serverStats: null,
    sideBySide: [],
    source: canvasSource ? 'canvas' : 'camera',
    color: canvasColor,
    // One pixel of the remote (or local) video as [r, g, b], by default its centre; null before a frame.
    sampleRemotePixel(x, y) {
      return samplePixel(videoOutput, x, y);
    },
    sampleLocalPixel(x, y) {
      return samplePixel(videoInput, x, y);
    },
  };
  window.__demo = demo;

  function samplePixel(video, x, y) {
    if (!video.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(video, 0, 0);
    const px = g.getImageData(x ?? c.width >> 1, y ?? c.height >> 1, 1, 1).data;
    return [px[0], px[1], px[2]];
  }

  let state = I_CAN_START;
  let ws = null;
  let pc = null;
  let localStream = null;
  let canvasTimer = null;
  let statsTimer = null;
  // The RTCPeerConnection configuration from config.json (ICE servers, and iceTransportPolicy when the
  // bridge sets one, e.g. `relay`), awaited by start so a quick click never misses it.
  let rtcConfiguration = null;
  // Server candidates that arrive before the answer is applied wait here (kurento-utils did the same).
  let pendingRemote = [];
  let lastInbound = null;
  // How to resume the call from another socket ({token, withinMs}), as the server last said.
  let ticket = null;
  // While the socket is down: what to send once the call is resumed, and when to give up.
  let outbox = [];
  let resumeDeadline = 0;
  let reconnectTimer = null;
  let reconnectDelay = RECONNECT_FIRST_MS;
  let statsTicks = 0;
  // Whether the call's media server can restart ICE (startResponse's iceRestart), and the restart state.
  let canRestartIce = false;
  let restarting = false;
  let restartsLeft = ICE_RESTARTS;
  let disconnectedTimer = null;
  let restartRetryTimer = null;

  // ---- logging and errors shown to the person ----

  function log(text, kind) {
    const li = document.createElement('li');
    li.className = kind || 'info';
    const time = new Date().toLocaleTimeString();
    li.innerHTML = '<time></time><span></span>';
    li.firstChild.textContent = time;
    li.lastChild.textContent = text;
    const list = $('console');
    list.appendChild(li);
    while (list.children.length > 200) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
  }

  function showError(message) {
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    demo.lastError = text;
    demo.errors.push(text);
    $('errorText').textContent = text;
    $('errorBanner').hidden = false;
    log(text, 'error');
  }

  $('dismissError').onclick = () => { $('errorBanner').hidden = true; };

  // ---- state machine (the tutorial's buttons and spinner) ----

  function setState(next) {
    state = next;
    demo.state = STATE_NAMES[next];
    startButton.disabled = next !== I_CAN_START;
    stopButton.disabled = next !== I_CAN_STOP;
    const starting = next === I_AM_STARTING;
    $('localWrap').classList.toggle('loading', starting);
    $('remoteWrap').classList.toggle('loading', starting);
    const pill = $('status');
    pill.className = 'pill ' + (next === I_CAN_STOP ? 'pill-live' : starting ? 'pill-busy' : 'pill-idle');
    pill.textContent = next === I_CAN_STOP ? 'Live' : starting ? 'Starting…' : 'Ready';
  }

  // ---- signalling ----

  function connect() {
    return new Promise((resolve, reject) => {
      if (ws && ws.readyState === WebSocket.OPEN) return resolve(ws);
      const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
      const socket = new WebSocket(scheme + location.host + '/helloworld');
      socket.onopen = () => {
        demo.wsOpen = true;
        // Opt in to the extra sessionEvent messages (the tutorial's page would treat them as errors).
        socket.send(JSON.stringify({ id: 'subscribeEvents' }));
        resolve(socket);
      };
      socket.onerror = () => reject(new Error('cannot reach the signalling server at ' + location.host));
      socket.onclose = (event) => {
        if (ws !== socket) return;
        demo.wsOpen = false;
        ws = null;
        if (demo.reconnecting) {
          scheduleReconnect(); // a retry that failed, or a new socket that dropped before the resume answer
          return;
        }
        // A live call survives its socket: the media keeps flowing while the page reconnects and resumes it.
        // 4001 means this page already resumed it elsewhere; a close the server chose (1001, 1008) is final.
        const dropped = event.code === 1006 || event.code === 1005;
        if (state === I_CAN_STOP && ticket && dropped) {
          beginResume();
        } else if (state !== I_CAN_START) {
          showError('the signalling connection closed' + (event.reason ? ': ' + event.reason : ''));
          teardown();
        }
      };
      socket.onmessage = (event) => onMessage(event.data);
      ws = socket;
    });
  }

  function send(message) {
    if (demo.reconnecting) {
      if (outbox.length < OUTBOX_LIMIT) outbox.push(message);
      return;
    }
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  // ---- re-attach: the signalling socket dropped during a call ----

  function beginResume() {
    demo.reconnecting = true;
    resumeDeadline = Date.now() + ticket.withinMs;
    log('signalling connection lost; reconnecting to resume the call', 'warn');
    $('status').textContent = 'Reconnecting…';
    $('status').className = 'pill pill-busy';
    reconnectDelay = RECONNECT_FIRST_MS;
    scheduleReconnect();
  }

  // One attempt at a time; each failure waits twice as long as the last, up to RECONNECT_MAX_MS.
  function scheduleReconnect() {
    if (reconnectTimer || !demo.reconnecting) return;
    const delay = reconnectDelay;
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = null;
      if (!demo.reconnecting) return;
      if (Date.now() > resumeDeadline) {
        endResume();
        showError('the signalling connection did not come back in time; the call has ended');
        teardown();
        return;
      }
      try {
        const socket = await connect();
        // Straight on the socket: `send` holds messages while reconnecting.
        socket.send(JSON.stringify({ id: 'resume', token: ticket.token }));
      } catch (e) {
        scheduleReconnect();
      }
    }, delay);
  }

  function onResumed(next) {
    if (!demo.reconnecting) return;
    ticket = next;
    endResume();
    demo.resumes += 1;
    setState(I_CAN_STOP);
    log('signalling connection restored; the call goes on');
    const held = outbox;
    outbox = [];
    held.forEach(send);
  }

  function endResume() {
    demo.reconnecting = false;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = null;
    outbox = [];
  }

  function ticketOf(message) {
    return message.resumeToken ? { token: message.resumeToken, withinMs: message.resumeWithinMs || 0 } : null;
  }

  function onMessage(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch (e) {
      showError('the server sent a message that is not JSON');
      return;
    }
    switch (message.id) {
      case 'startResponse':
        ticket = ticketOf(message);
        canRestartIce = message.iceRestart === true;
        onStartResponse(message.sdpAnswer);
        break;
      case 'restartIceResponse':
        onRestartAnswer(message.sdpAnswer);
        break;
      case 'resumeResponse':
        onResumed(ticketOf(message));
        break;
      case 'stats':
        onServerStats(message);
        break;
      case 'iceCandidate':
        onRemoteCandidate(message.candidate);
        break;
      case 'sessionEvent':
        onSessionEvent(message.event || {});
        break;
      case 'error':
        onServerError(message.message);
        break;
      default:
        showError('unexpected message from the server: ' + String(message.id));
    }
  }

  function onServerError(message) {
    if (restarting && typeof message === 'string' && message.startsWith('cannot restart ICE')) restarting = false;
    if (demo.reconnecting) {
      // The resume was refused (the call ended or its grace passed): the media is no longer the server's.
      endResume();
      showError(message);
      teardown();
      return;
    }
    showError(message);
    // Like the tutorial, a failed start returns to I_CAN_START; unlike it, the peer is released too.
    const ended = typeof message === 'string' && message.startsWith('the media session ended');
    if (state === I_AM_STARTING || ended) teardown();
  }

  async function onStartResponse(sdpAnswer) {
    if (!pc || state !== I_AM_STARTING) return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });
      noteUfrag(sdpAnswer);
      log('SDP answer applied');
      const queued = pendingRemote;
      pendingRemote = [];
      for (const c of queued) await addRemoteCandidate(c);
      setState(I_CAN_STOP);
      startStats();
    } catch (e) {
      showError('cannot apply the media server\'s answer: ' + e.message);
      stop();
    }
  }

  function onRemoteCandidate(candidate) {
    if (!pc) return;
    if (!pc.remoteDescription) {
      pendingRemote.push(candidate);
      return;
    }
    addRemoteCandidate(candidate);
  }

  async function addRemoteCandidate(c) {
    try {
      await pc.addIceCandidate({ candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
      log('server candidate: ' + c.candidate);
    } catch (e) {
      log('ignored a server candidate the browser rejected: ' + e.message, 'warn');
    }
  }

  function onSessionEvent(event) {
    demo.events.push(event);
    const detail = Object.entries(event).filter(([k]) => k !== 'type').map(([k, v]) => k + '=' + v).join(' ');
    log('media server: ' + event.type + (detail ? ' ' + detail : ''), 'event');
  }

  // ---- media sources ----

  async function cameraStream() {
    return navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, frameRate: 15 } });
  }

  // A solid colour with a small moving square in one corner: the motion keeps frames coming (a still canvas
  // sends none), and the centre stays the pure colour for the test's pixel check.
  async function canvasStream() {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext('2d');
    let tick = 0;
    const draw = () => {
      g.fillStyle = canvasColor;
      g.fillRect(0, 0, canvas.width, canvas.height);
      g.fillStyle = '#ffffff';
      g.fillRect(10 + (tick % 80), 10, 40, 40);
      tick += 2;
    };
    draw();
    canvasTimer = setInterval(draw, 1000 / 30);
    const stream = canvas.captureStream(30);
    try {
      const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
      mic.getAudioTracks().forEach((t) => stream.addTrack(t));
    } catch (e) {
      log('no microphone, sending video only', 'warn');
    }
    return stream;
  }

  // ---- start / stop ----

  async function start() {
    if (state !== I_CAN_START) return;
    $('errorBanner').hidden = true;
    setState(I_AM_STARTING);
    try {
      await connect();
      localStream = canvasSource ? await canvasStream() : await cameraStream();
      videoInput.srcObject = localStream;
      pc = new RTCPeerConnection(await rtcConfiguration);
      localStream.getTracks().forEach((t) => pc.addTrack(t, localStream));
      pc.onicecandidate = (e) => {
        // The final null candidate is not forwarded, like kurento-utils.
        if (e.candidate) send({ id: 'onIceCandidate', candidate: e.candidate.toJSON() });
      };
      pc.ontrack = (e) => {
        if (videoOutput.srcObject !== e.streams[0]) videoOutput.srcObject = e.streams[0];
      };
      pc.oniceconnectionstatechange = () => {
        if (!pc) return;
        log('browser ICE state: ' + pc.iceConnectionState);
        demo.iceState = pc.iceConnectionState;
        watchIce(pc.iceConnectionState);
      };
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      log('sending the SDP offer');
      send({ id: 'start', sdpOffer: pc.localDescription.sdp });
    } catch (e) {
      showError(describeMediaError(e));
      teardown();
    }
  }

  // ---- ICE restart: the media path failed, or the network changed ----

  function watchIce(iceState) {
    if (iceState === 'connected' || iceState === 'completed') {
      clearTimeout(disconnectedTimer);
      disconnectedTimer = null;
      if (!restarting) {
        clearTimeout(restartRetryTimer);
        restartRetryTimer = null;
        restartsLeft = ICE_RESTARTS;
      }
      return;
    }
    if (state !== I_CAN_STOP) return;
    if (iceState === 'failed') restartIce('the media connection failed');
    else if (iceState === 'disconnected' && !disconnectedTimer) {
      disconnectedTimer = setTimeout(() => {
        disconnectedTimer = null;
        if (pc && pc.iceConnectionState === 'disconnected') restartIce('the media connection was lost');
      }, DISCONNECTED_GRACE_MS);
    }
  }

  async function restartIce(why) {
    if (!pc || state !== I_CAN_STOP || restarting) return;
    if (!canRestartIce) {
      showError(why + ', and this media server cannot restart ICE: press Stop, then Start again');
      return;
    }
    if (restartsLeft <= 0) {
      showError(why + ' and did not come back after ' + ICE_RESTARTS + ' ICE restarts: press Stop, then Start again');
      return;
    }
    restartsLeft -= 1;
    restarting = true;
    demo.iceRestarts += 1;
    log(why + '; restarting ICE', 'warn');
    try {
      pc.restartIce();
      const offer = await pc.createOffer({ iceRestart: true });
      await pc.setLocalDescription(offer);
      // While the signalling socket is down this waits in the outbox and goes once the call is resumed.
      send({ id: 'restartIce', sdpOffer: pc.localDescription.sdp });
    } catch (e) {
      restarting = false;
      showError('cannot restart ICE: ' + e.message);
    }
  }

  async function onRestartAnswer(sdpAnswer) {
    if (!pc || !restarting) return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: sdpAnswer });
      noteUfrag(sdpAnswer);
      demo.iceRestartsAnswered += 1;
      log('ICE restarted: new credentials on both sides');
    } catch (e) {
      showError('cannot apply the media server\'s ICE restart answer: ' + e.message);
    } finally {
      restarting = false;
    }
    // A restart made while the path was still down may never connect: try again after a while.
    clearTimeout(restartRetryTimer);
    restartRetryTimer = setTimeout(() => {
      restartRetryTimer = null;
      const now = pc && pc.iceConnectionState;
      if (now && now !== 'connected' && now !== 'completed') restartIce('the media connection did not come back');
    }, RESTART_RETRY_MS);
  }

  function noteUfrag(sdp) {
    const m = /a=ice-ufrag:(\S+)/.exec(sdp);
    if (m) demo.remoteUfrags.push(m[1]);
  }

  function describeMediaError(e) {
    if (e && e.name === 'NotAllowedError') return 'camera or microphone access was refused';
    if (e && e.name === 'NotFoundError') return 'no camera or microphone was found';
    return (e && e.message) || String(e);
  }

  function stop() {
    if (pc) send({ id: 'stop' });
    teardown();
    log('stopped');
  }

  function teardown() {
    stopStats();
    endResume();
    ticket = null;
    canRestartIce = false;
    restarting = false;
    restartsLeft = ICE_RESTARTS;
    demo.iceState = null;
    demo.remoteUfrags = [];
    clearTimeout(disconnectedTimer);
    clearTimeout(restartRetryTimer);
    disconnectedTimer = null;
    restartRetryTimer = null;
    if (pc) {
      pc.onicecandidate = null;
      pc.ontrack = null;
      pc.close();
      pc = null;
    }
    if (canvasTimer) clearInterval(canvasTimer);
    canvasTimer = null;
    if (localStream) localStream.getTracks().forEach((t) => t.stop());
    localStream = null;
    pendingRemote = [];
    videoInput.srcObject = null;
    videoOutput.srcObject = null;
    setState(I_CAN_START);
  }

  // ---- statistics ----

  function startStats() {
    stopStats();
    lastInbound = null;
    lastBytes = new Map();
    statsTicks = 0;
    demo.statsHistory = [];
    demo.serverStats = null;
    demo.sideBySide = [];
    pairedBrowser = [];
    statsTimer = setInterval(collectStats, STATS_INTERVAL_MS);
  }

  function stopStats() {
    if (statsTimer) clearInterval(statsTimer);
    statsTimer = null;
  }

  async function collectStats() {
    if (!pc) return;
    const report = await pc.getStats();
    let video = null;
    let pair = null;
    let audioLost = 0;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') video = s;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audioLost += s.packetsLost || 0;
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
    });
    if (!pair) report.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
    let bitrateKbps = null;
    if (video && lastInbound && video.timestamp > lastInbound.timestamp) {
      bitrateKbps = (8 * (video.bytesReceived - lastInbound.bytesReceived)) / (video.timestamp - lastInbound.timestamp);
    }
    if (video) lastInbound = video;
    const stats = {
      rttMs: pair && pair.currentRoundTripTime != null ? pair.currentRoundTripTime * 1000 : null,
      bitrateKbps,
      width: video ? video.frameWidth || 0 : 0,
      height: video ? video.frameHeight || 0 : 0,
      fps: video ? video.framesPerSecond || 0 : 0,
      framesDecoded: video ? video.framesDecoded || 0 : 0,
      packetsLost: (video ? video.packetsLost || 0 : 0) + audioLost,
      bytesReceived: video ? video.bytesReceived : 0,
      at: Date.now(),
    };
    demo.stats = stats;
    demo.statsHistory.push(stats);
    if (demo.statsHistory.length > CHART_POINTS) demo.statsHistory.shift();
    renderStats(stats);
    drawChart();
    browserStreams = browserView(report);
    statsTicks += 1;
    if (statsTicks % SERVER_STATS_EVERY === 1 && !demo.reconnecting) {
      // The server's answer is shown beside what the browser counted when it asked, so both sides are one
      // moment's counts.
      browserAtRequest = browserStreams;
      send({ id: 'getStats' });
    }
  }

  // ---- the media server's view beside the browser's ----

  let browserStreams = [];
  let browserAtRequest = [];
  let pairedBrowser = [];
  let lastBytes = new Map();

  // The browser's own RTP streams, shaped like the server's `stats` entries: `in` and `out` are the media
  // server's directions, so each browser stream sits beside the server stream that carries the same packets.
  function browserView(report) {
    const streams = [];
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp' && s.type !== 'inbound-rtp') return;
      const sending = s.type === 'outbound-rtp';
      const bytes = sending ? s.bytesSent : s.bytesReceived;
      const before = lastBytes.get(s.id);
      lastBytes.set(s.id, { bytes, at: s.timestamp });
      const remote = sending && s.remoteId ? report.get(s.remoteId) : null;
      const codec = s.codecId ? report.get(s.codecId) : null;
      streams.push({
        kind: s.kind,
        direction: sending ? 'in' : 'out',
        packets: sending ? s.packetsSent : s.packetsReceived,
        bytes,
        packetsLost: sending ? (remote ? remote.packetsLost : null) : s.packetsLost,
        jitterMs: sending ? (remote && remote.jitter != null ? remote.jitter * 1000 : null) : (s.jitter != null ? s.jitter * 1000 : null),
        rttMs: remote && remote.roundTripTime != null ? remote.roundTripTime * 1000 : null,
        bitrateKbps: before && s.timestamp > before.at ? (8 * (bytes - before.bytes)) / (s.timestamp - before.at) : null,
        codec: codec ? codec.mimeType : '',
      });
    });
    return streams;
  }

  function onServerStats(message) {
    if (message.error) {
      log(message.error, 'warn');
      return;
    }
    demo.serverStats = Array.isArray(message.streams) ? message.streams : [];
    pairedBrowser = browserAtRequest;
    renderSideBySide();
  }

  const FIELDS = [
    ['packets', 'Packets', (v) => String(v)],
    ['bytes', 'Bytes', (v) => (v / 1024).toFixed(0) + ' KiB'],
    ['packetsLost', 'Lost', (v) => String(v)],
    ['jitterMs', 'Jitter', (v) => v.toFixed(1) + ' ms'],
    ['rttMs', 'Round trip', (v) => (v ? v.toFixed(1) + ' ms' : '–')],
    ['bitrateKbps', 'Bitrate', (v) => Math.round(v) + ' kbit/s'],
    ['codec', 'Codec', (v) => v || '–'],
  ];

  // One row per stream (kind and direction), each field as "browser · media server".
  function renderSideBySide() {
    const server = demo.serverStats || [];
    const rows = [];
    for (const kind of ['video', 'audio']) {
      for (const direction of ['in', 'out']) {
        const mine = pairedBrowser.find((s) => s.kind === kind && s.direction === direction);
        const theirs = server.find((s) => s.kind === kind && s.direction === direction);
        if (!mine && !theirs) continue;
        rows.push({ kind, direction, browser: mine || null, server: theirs || null });
      }
    }
    demo.sideBySide = rows;
    const body = $('sideBySide');
    if (!body) return;
    body.textContent = '';
    const show = (stream, key, format) => (stream && stream[key] != null ? format(stream[key]) : '–');
    for (const row of rows) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = row.kind + (row.direction === 'in' ? ', browser → server' : ', server → browser');
      tr.appendChild(th);
      for (const [key, , format] of FIELDS) {
        const td = document.createElement('td');
        td.textContent = show(row.browser, key, format) + ' · ' + show(row.server, key, format);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  function renderStats(s) {
    $('statRtt').textContent = s.rttMs == null ? '–' : s.rttMs.toFixed(1) + ' ms';
    $('statBitrate').textContent = s.bitrateKbps == null ? '–' : Math.round(s.bitrateKbps) + ' kbit/s';
    $('statResolution').textContent = s.width ? s.width + '×' + s.height : '–';
    $('statFps').textContent = s.fps ? s.fps.toFixed(0) : '–';
    $('statLost').textContent = String(s.packetsLost);
    $('statFrames').textContent = String(s.framesDecoded);
  }

  function drawChart() {
    const canvas = $('statsChart');
    const g = canvas.getContext('2d');
    const w = canvas.width;
    const h = canvas.height;
    g.clearRect(0, 0, w, h);
    g.strokeStyle = '#e3e8ef';
    g.lineWidth = 1;
    for (let i = 1; i < 4; i++) {
      g.beginPath();
      g.moveTo(0, (h * i) / 4);
      g.lineTo(w, (h * i) / 4);
      g.stroke();
    }
    const points = demo.statsHistory;
    const maxRate = Math.max(100, ...points.map((p) => p.bitrateKbps || 0)) * 1.1;
    const line = (value, max, colour) => {
      g.strokeStyle = colour;
      g.lineWidth = 2;
      g.beginPath();
      points.forEach((p, i) => {
        const x = (w * i) / (CHART_POINTS - 1);
        const y = h - (h * (value(p) || 0)) / max;
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
    };
    line((p) => p.bitrateKbps, maxRate, '#2563eb');
    line((p) => p.fps, 60, '#f59e0b');
    g.fillStyle = '#64748b';
    g.font = '11px system-ui, sans-serif';
    g.fillText(Math.round(maxRate) + ' kbit/s', 4, 12);
  }

  // ---- wiring ----

  startButton.onclick = start;
  stopButton.onclick = stop;
  window.addEventListener('beforeunload', () => { if (ws) ws.close(); });
  // A new network (Wi-Fi to cellular, a VPN coming up) leaves the old candidate pair dead: restart at once
  // rather than waiting for ICE to notice.
  const networkChanged = () => restartIce('the network changed');
  window.addEventListener('online', networkChanged);
  if (navigator.connection && navigator.connection.addEventListener) navigator.connection.addEventListener('change', networkChanged);
  if (canvasSource) $('sourceHint').textContent = 'Generated picture (' + canvasColor + ') and microphone';

  setState(I_CAN_START);
  rtcConfiguration = fetch('config.json')
    .then((r) => (r.ok ? r.json() : { iceServers: [] }))
    .then((c) => ({
      iceServers: Array.isArray(c.iceServers) ? c.iceServers : [],
      ...(c.iceTransportPolicy === 'relay' ? { iceTransportPolicy: 'relay' } : {}),
    }))
    .catch(() => {
      log('no ICE server configuration; using host candidates only', 'warn');
      return { iceServers: [] };
    });
  connect().then(() => log('connected to the signalling server')).catch((e) => showError(e.message));
})();
