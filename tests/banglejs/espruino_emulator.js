// Runs a script of console input through Espruino's own Bangle.js 2 emulator (the Web IDE's
// emscripten build, found through BACKSTRETCH_ESPRUINO_EMULATOR; never part of this project).
//
// stdin: one JSON array of steps: {"send": text} (console input), {"wait_ms": n}, or
// {"press_ms": n} (BTN1 held down for n ms). stdout: one JSON object per line:
// {"line": text} for each console line, then {"done": true}.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const dir = process.env.BACKSTRETCH_ESPRUINO_EMULATOR;
const files = ["emu_banglejs2.js", "common.js", "emulator_banglejs2.js"];
const say = (message) => process.stdout.write(JSON.stringify(message) + "\n");

// The emulator's glue expects a browser page; these stand in for what it calls there.
globalThis.jsUpdateGfx = () => {};
globalThis.onConsoleOutput = (line) => say({ line });
globalThis.require = require;
globalThis.__dirname = dir;
globalThis.__filename = path.join(dir, files[2]);

async function play(steps) {
  // Console output goes to onConsoleOutput only: no page to post characters to.
  globalThis.jsRXCallback = undefined;
  // The button's pin is inverted in the emulator: 1 at rest, 0 while pressed.
  globalThis.hwSetPinValue(globalThis.BTN1, 1);
  globalThis.jsInit();
  globalThis.jsIdle();
  for (const step of steps) {
    if (step.send !== undefined) globalThis.jsTransmitString(step.send);
    if (step.wait_ms !== undefined) await sleep(step.wait_ms);
    if (step.press_ms !== undefined) {
      globalThis.hwSetPinValue(globalThis.BTN1, 0);
      globalThis.jsTransmitPinEvent(globalThis.BTN1);
      await sleep(step.press_ms);
      globalThis.hwSetPinValue(globalThis.BTN1, 1);
      globalThis.jsTransmitPinEvent(globalThis.BTN1);
    }
  }
  // Flush what the last step printed.
  globalThis.jsIdle();
  say({ done: true });
  process.exit(0);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const steps = JSON.parse(input);
  for (const file of files.slice(0, 2)) {
    vm.runInThisContext(fs.readFileSync(path.join(dir, file), "utf8"), { filename: file });
  }
  globalThis.Module = { onRuntimeInitialized: () => play(steps) };
  vm.runInThisContext(fs.readFileSync(path.join(dir, files[2]), "utf8"), { filename: files[2] });
});
