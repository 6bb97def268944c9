// Runs Python code in MicroPython's WebAssembly port for the firmware tests.
//
// Usage: node run_micropython.mjs SOURCE=TARGET...  copies each file or directory SOURCE
// to TARGET in MicroPython's file system (an empty SOURCE writes an empty file); /lib is
// on sys.path. Then one JSON request a line on stdin,
// {"code": "..."}, is answered by one JSON line on stdout:
// {"ok": true, "out": "<what the code printed>"} or {"ok": false, "error": "<traceback>"}.
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

let printed = [];
const mp = await loadMicroPython({
  stdout: (line) => printed.push(line),
  stderr: (line) => printed.push(line),
});

function copyTree(source, target) {
  mp.FS.mkdirTree(target);
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = `${target}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== "__pycache__" && entry.name !== "node_modules") copyTree(from, to);
    } else if (entry.name.endsWith(".py") || entry.name.endsWith(".mpy")) {
      mp.FS.writeFile(to, fs.readFileSync(from));
    }
  }
}

for (const mapping of process.argv.slice(2)) {
  const [source, target] = mapping.split("=");
  if (!source) {
    mp.FS.mkdirTree(path.posix.dirname(target));
    mp.FS.writeFile(target, "");
  } else if (fs.statSync(source).isDirectory()) {
    copyTree(source, target);
  } else {
    mp.FS.mkdirTree(path.posix.dirname(target));
    mp.FS.writeFile(target, fs.readFileSync(source));
  }
}
mp.runPython("import sys\nsys.path.append('/lib')");

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  printed = [];
  let answer;
  try {
    mp.runPython(request.code);
    answer = { ok: true, out: printed.join("\n") };
  } catch (error) {
    answer = { ok: false, error: String(error.message ?? error), out: printed.join("\n") };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
