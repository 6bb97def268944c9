// A Bangle.js 2 as far as the hub depends on it, in Node.js: Espruino's console (echo, prompt,
// the DLE no-echo prefix, Ctrl+C), getTime/setTime on a drifting crystal, setTimeout and
// setWatch on that crystal, Bangle.buzz, E.getBattery, Bluetooth.println, NRF events, the
// screen (g) recorded as text, and load() as a reset that forgets every program.
//
// It talks to the Python simulator on stdin/stdout, one JSON object per line:
//   in:  {"rx": text} console bytes from the hub (latin-1), {"press": ms} or {"press":
//        "double"} the button, {"connected": bool}, {"reset": true}, {"battery": pct}
//   out: {"tx": text} console output for the hub, {"buzz": {"t", "ms", "s"}} motor starts
//        (t in the host's monotonic seconds), {"screen": [text...]}, {"reset": true},
//        {"error": text} an exception the console printed.
// Uploaded code runs in a vm context: it sees only the globals a Bangle.js has.
"use strict";
const vm = require("vm");
const readline = require("readline");

const opts = JSON.parse(process.argv[2] || "{}");
const RATE = 1 + (opts.ppm || 0) / 1e6;
// The host's monotonic clock (CLOCK_MONOTONIC, as Python's time.monotonic) in seconds.
const host = () => Number(process.hrtime.bigint()) / 1e9;
// The watch clock at host time `epoch` reads `base`: seconds since 1970, as getTime().
const epoch = opts.epoch === undefined ? host() : opts.epoch;
let base = (opts.base || 1767225600) + (opts.offset || 0);
let battery = opts.battery === undefined ? 100 : opts.battery;

function out(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

function watchTime() {
  return base + (host() - epoch) * RATE;
}

let context;
let timers = new Set();
let watches = [];
let listeners = {};
let buzzing = Promise.resolve();
let screen = [];
let line = "";

// Espruino runs a timer off its real-time clock when the time comes, not on a 1 ms tick
// as Node.js does (which also fires a millisecond or more late): wake this early, then
// wait on the clock for the exact moment. Only this process waits, never the hub.
const SPIN_MS = 2;

function after(ms, fn) {
  // The watch's timers run on its crystal: a fast crystal fires early in host time.
  const delay = Math.max(0, ms) / RATE;
  const due = host() + delay / 1000;
  const handle = setTimeout(() => {
    timers.delete(handle);
    while (host() < due) {
      // the last moment, on the clock
    }
    run(fn);
  }, Math.max(0, delay - SPIN_MS));
  timers.add(handle);
  return handle;
}

function run(fn, ...args) {
  try {
    fn(...args);
  } catch (e) {
    report(e);
  }
}

function report(e) {
  // As Espruino says it: `Uncaught ReferenceError: "BS" is not defined`.
  const text = "Uncaught " + (e instanceof Error ? e.name + ": " + e.message : String(e));
  out({ error: text });
  out({ tx: text + "\r\n>" });
}

function emit(event) {
  for (const fn of listeners[event] || []) run(fn);
}

function fresh() {
  for (const t of timers) clearTimeout(t);
  // A buzz cut short by the reset never resolves: the motor starts a new chain.
  buzzing = Promise.resolve();
  timers = new Set();
  watches = [];
  listeners = {};
  screen = ["clock"];
  const g = {
    clear() { screen = []; return g; },
    setFont() { return g; },
    setFontAlign() { return g; },
    setColor() { return g; },
    drawString(text) { screen.push(String(text)); return g; },
    fillRect() { return g; },
    flip() { out({ screen }); return g; },
    getWidth() { return 176; },
    getHeight() { return 176; },
  };
  const sandbox = {
    getTime: () => watchTime(),
    setTime: (t) => { base += t - watchTime(); },
    setTimeout: (fn, ms) => after(ms || 0, fn),
    setInterval: (fn, ms) => {
      const tick = () => { handle = after(ms, () => { fn(); tick(); }); };
      let handle;
      tick();
      return handle;
    },
    clearTimeout: (h) => { if (h) { clearTimeout(h); timers.delete(h); } },
    clearInterval: (h) => { if (h) { clearTimeout(h); timers.delete(h); } },
    setWatch: (fn, pin, o) => { watches.push({ fn, o: o || {} }); return watches.length; },
    clearWatch: (id) => { if (id === undefined) watches = []; else watches[id - 1] = null; },
    BTN1: "BTN1",
    JSON, Math, Object, Array, String, Number, Promise, parseInt, parseFloat, isNaN,
    E: { getBattery: () => battery },
    Bluetooth: {
      println: (text) => out({ tx: String(text) + "\r\n" }),
      print: (text) => out({ tx: String(text) }),
    },
    NRF: {
      on: (event, fn) => { (listeners[event] = listeners[event] || []).push(fn); },
      removeAllListeners: (event) => { if (event) delete listeners[event]; else listeners = {}; },
    },
    Bangle: {
      buzz: (ms, strength) => {
        const length = ms === undefined || ms === 0 ? 200 : Math.min(5000, ms);
        const s = strength === undefined ? 1 : strength;
        // Calls while buzzing wait for the one before, as on the watch.
        buzzing = buzzing.then(() => new Promise((resolve) => {
          out({ buzz: { t: host(), ms: length, s } });
          after(length, resolve);
        }));
        return buzzing;
      },
      setUI: () => {},
      setLCDPower: () => {},
      on: () => {},
    },
    g,
    print: (text) => out({ tx: String(text) + "\r\n" }),
    console: { log: (text) => out({ tx: String(text) + "\r\n" }) },
    load: () => setImmediate(reset),
    reset: () => setImmediate(reset),
  };
  context = vm.createContext(sandbox);
}

function reset() {
  fresh();
  out({ reset: true });
  out({ screen });
}

function balanced(code) {
  let depth = 0;
  let quote = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
  }
  return depth <= 0 && !quote;
}

function evaluate(code, echo) {
  let result;
  try {
    result = vm.runInContext(code, context);
  } catch (e) {
    report(e);
    return;
  }
  // Espruino prints an expression's value, then the prompt; with DLE it prints neither.
  if (echo) out({ tx: "=" + (result === undefined ? "undefined" : JSON.stringify(result)) + "\r\n>" });
}

function console_input(text) {
  for (const c of text) {
    if (c === "\x03") {
      line = "";
      out({ tx: "\r\n>" });
    } else if (c === "\n" || c === "\r") {
      if (!balanced(line)) { line += "\n"; continue; }
      const quiet = line.startsWith("\x10");
      const code = quiet ? line.slice(1) : line;
      line = "";
      if (!quiet) out({ tx: code + "\r\n" });
      if (code.trim()) evaluate(code, !quiet);
    } else {
      line += c;
      if (line.length > 65536) line = "";
    }
  }
}

function press(what) {
  const presses = what === "double" ? [80, 80] : [Number(what) || 100];
  let at = 0;
  for (const ms of presses) {
    const down = at;
    setTimeout(() => {
      const t0 = watchTime();
      for (const w of watches) if (w) run(w.fn, { state: true, time: t0 });
      setTimeout(() => {
        const t1 = watchTime();
        for (const w of watches) if (w) run(w.fn, { state: false, time: t1, lastTime: t0 });
      }, ms);
    }, down);
    at += ms + 120;
  }
}

fresh();
readline.createInterface({ input: process.stdin }).on("line", (text) => {
  let message;
  try {
    message = JSON.parse(text);
  } catch (e) {
    return;
  }
  if (message.rx !== undefined) console_input(message.rx);
  if (message.press !== undefined) press(message.press);
  if (message.connected === true) emit("connect");
  if (message.connected === false) emit("disconnect");
  if (message.reset) reset();
  if (message.battery !== undefined) battery = message.battery;
}).on("close", () => process.exit(0));
out({ ready: true, time: watchTime() });
