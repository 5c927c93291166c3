// tools/mpvm/run.mjs — run Python inside the real MicroPython 1.27 VM
// (npm @micropython/micropython-webassembly-pyscript@1.27.0, the base of CircuitPython 10) under Node.
//
// Install once:   npm ci --prefix tools/mpvm
// Usually called through tools/mpvm.py; direct use:
//   node tools/mpvm/run.mjs job.json          # job from a file
//   node tools/mpvm/run.mjs '{"code": "print(1)"}'   # job inline (argument starts with "{")
//   node tools/mpvm/run.mjs < job.json        # job on stdin (no argument)
//
// Job JSON (every key optional except one of code/file):
//   code         Python source to run as __main__ (tracebacks say "<stdin>"). A list of sources runs
//                them one after another in the same __main__: this port's GC collects ONLY when control
//                is back at the top level (gc.collect() inside running code just marks a collection as
//                pending), so code that must see garbage freed ends one chunk with gc.collect().
//   file         host path of a .py file to run as __main__ instead of `code` (tracebacks name it).
//   argv         list of strings for sys.argv (default [file or "<stdin>"]).
//   prelude      Python run after sys.path is set and before the heap baseline (tools/mpvm.py uses it
//                to add CircuitPython's extra built-ins when the stand-ins are on).
//   heap         initial GC heap in bytes: int, or a string like "163k" / "1m" (default 1 MiB).
//                NOTE: this VM build grows its heap automatically (split heap, up to 128 MiB more)
//                instead of raising MemoryError. Growth is detected after the run: see strict_heap.
//   strict_heap  true: exit 3 if the heap had to grow past `heap` (the board would have raised
//                MemoryError somewhere). Default false.
//   pystack      Python stack size in words (package default 2048).
//   root         host directory that relative `files` are resolved against (default: cwd).
//   files        list of host files/directories to copy into the VM filesystem:
//                  "core"                          -> /core (relative path kept, so `import core.x` works)
//                  {"src": "a/b", "dst": "/lib/b"} -> explicit VM destination
//                  {"src": ..., "dst": ..., "exclude": ["name", ...]}  -> skip these entry names
//                Directories are copied recursively, skipping __pycache__, *.pyc, dot-entries,
//                node_modules and *-stubs directories.
//   sys_path     sys.path inside the VM (default ["", "/", "/lib"], like CircuitPython minus .frozen).
//                Entries are used as given; "" is the cwd, which is "/".
//   frozen       true: keep ".frozen" on sys.path. Default false: the micropython-lib modules frozen
//                into this build (asyncio, logging, datetime, functools, base64, the os/time/binascii
//                extensions, ...) are NOT part of CircuitPython, so they are hidden by default.
//   heap_report  true: print "mpvm: heap ..." figures to stderr at the end.
//
// Output: Python's stdout -> stdout, sys.stderr -> stderr. An uncaught exception's traceback goes to
// stderr. Exit status: 0 ok; 1 uncaught exception (SyntaxError included); N for SystemExit(N);
// 3 strict_heap exceeded; 2 bad job / harness error.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG = path.join(HERE, "node_modules", "@micropython", "micropython-webassembly-pyscript");
const MJS = path.join(PKG, "micropython.mjs");
const WANT_VERSION = "1.27.0";
// gc.mem_free() in this build adds the largest heap area it could still add ("max new split").
const MAX_NEW_SPLIT = 134217728;

function die(msg, code = 2) {
  flushAll();
  process.stderr.write(`mpvm: ${msg}\n`);
  process.exit(code);
}

// ---- output: collect the VM's bytes, write them synchronously in order ----
const outBuf = [];
const errBuf = [];
function flush(buf, fd) {
  if (buf.length) {
    fs.writeSync(fd, Buffer.from(buf));
    buf.length = 0;
  }
}
function flushAll() {
  flush(outBuf, 1);
  flush(errBuf, 2);
}
function pushByte(buf, fd, other, otherFd, b) {
  flush(other, otherFd); // keep stdout/stderr interleaving in order
  buf.push(b);
  if (b === 10 || buf.length >= 8192) flush(buf, fd);
}

function parseHeap(h) {
  if (h === undefined || h === null) return 1024 * 1024;
  if (typeof h === "number") return Math.floor(h);
  const m = /^\s*(\d+)\s*([kKmM]?)\s*$/.exec(String(h));
  if (!m) die(`bad heap size ${JSON.stringify(h)}`);
  const n = parseInt(m[1], 10);
  return m[2].toLowerCase() === "k" ? n * 1024 : m[2].toLowerCase() === "m" ? n * 1048576 : n;
}

function readJob() {
  const arg = process.argv[2];
  let text;
  try {
    if (arg === undefined) text = fs.readFileSync(0, "utf8");
    else if (arg.trimStart().startsWith("{")) text = arg;
    else text = fs.readFileSync(arg, "utf8");
  } catch (e) {
    die(`cannot read job: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    die(`job is not valid JSON: ${e.message}`);
  }
}

// ---- VM filesystem helpers ----
function vmMkdirs(FS, dir) {
  let cur = "";
  for (const part of dir.split("/").filter(Boolean)) {
    cur += "/" + part;
    try {
      FS.mkdir(cur);
    } catch (e) {
      // EEXIST is fine; anything else shows up when writing the file
    }
  }
}

const SKIP_DIRS = new Set(["__pycache__", "node_modules"]);
function skipEntry(name, isDir, exclude) {
  if (name.startsWith(".")) return true;
  if (exclude.has(name)) return true;
  if (isDir) return SKIP_DIRS.has(name) || name.endsWith("-stubs");
  return name.endsWith(".pyc");
}

function copyIn(FS, src, dst, exclude, counter) {
  const st = fs.statSync(src);
  if (st.isDirectory()) {
    vmMkdirs(FS, dst);
    for (const ent of fs.readdirSync(src, { withFileTypes: true })) {
      const isDir = ent.isDirectory();
      if (skipEntry(ent.name, isDir, exclude)) continue;
      copyIn(FS, path.join(src, ent.name), dst.replace(/\/$/, "") + "/" + ent.name, exclude, counter);
    }
  } else {
    vmMkdirs(FS, path.posix.dirname(dst));
    FS.writeFile(dst, fs.readFileSync(src));
    counter.n++;
  }
}

function installFiles(FS, files, root) {
  const counter = { n: 0 };
  for (const entry of files || []) {
    let src, dst, exclude;
    if (typeof entry === "string") {
      src = entry;
      dst = null;
      exclude = [];
    } else if (entry && typeof entry === "object" && entry.src) {
      ({ src, dst } = entry);
      exclude = entry.exclude || [];
    } else {
      die(`bad files entry ${JSON.stringify(entry)}`);
    }
    const hostSrc = path.resolve(root, src);
    if (!fs.existsSync(hostSrc)) die(`files entry not found on host: ${hostSrc}`);
    if (!dst) {
      const rel = path.relative(root, hostSrc);
      if (rel.startsWith("..") || path.isAbsolute(rel))
        die(`files entry ${src} is outside root ${root}; give {"src", "dst"}`);
      dst = "/" + rel.split(path.sep).join("/");
    }
    copyIn(FS, hostSrc, dst, new Set(exclude), counter);
  }
  return counter.n;
}

// ---- main ----
const job = readJob();
if (!fs.existsSync(MJS)) die(`MicroPython VM not installed (${MJS} missing). Fix: npm ci --prefix tools/mpvm`);
const pkgVersion = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8")).version;
if (pkgVersion !== WANT_VERSION)
  die(`installed VM is ${pkgVersion}, expected ${WANT_VERSION}. Fix: npm ci --prefix tools/mpvm`);
if ((job.code === undefined) === (job.file === undefined)) die("job needs exactly one of `code` or `file`");

const { loadMicroPython } = await import(MJS);
const heap = parseHeap(job.heap);
const opts = {
  heapsize: heap,
  linebuffer: false,
  stdout: (bytes) => pushByte(outBuf, 1, errBuf, 2, bytes[0]),
  stderr: (bytes) => pushByte(errBuf, 2, outBuf, 1, bytes[0]),
};
if (job.pystack !== undefined) opts.pystack = job.pystack;

let mp;
try {
  mp = await loadMicroPython(opts);
} catch (e) {
  die(`VM failed to start: ${e && e.message ? e.message : e}`);
}

const root = path.resolve(job.root || process.cwd());
installFiles(mp.FS, job.files, root);

let source, filename;
if (job.file !== undefined) {
  const hostFile = path.resolve(root, job.file);
  if (!fs.existsSync(hostFile)) die(`file not found: ${hostFile}`);
  source = fs.readFileSync(hostFile, "utf8");
  const rel = path.relative(root, hostFile);
  filename = rel.startsWith("..") || path.isAbsolute(rel) ? hostFile : rel.split(path.sep).join("/");
} else {
  source = String(job.code);
  filename = "<stdin>";
}
const sysPath = job.sys_path || ["", "/", "/lib"];
const argv = job.argv || [filename];

// Set the environment up through a throw-away module dict so __main__ stays clean.
const setup = [
  "import sys",
  `sys.path[:] = ${JSON.stringify(sysPath)}` + (job.frozen ? "; sys.path.insert(1, '.frozen')" : ""),
  `sys.argv[:] = ${JSON.stringify(argv)}`,
  "import gc",
  "gc.collect()",
].join("\n");

function heapTotal() {
  // Sum inside Python: calling through JS proxies allocates between the two calls.
  mp.runPython("import gc as _mpvm_gc\n_mpvm_ht = _mpvm_gc.mem_alloc() + _mpvm_gc.mem_free()\ndel _mpvm_gc");
  const total = mp.globals.get("_mpvm_ht") - MAX_NEW_SPLIT;
  mp.globals.delete("_mpvm_ht");
  return total;
}

let rc = 0;
let startTotal = 0;
try {
  mp.runPython(setup + (job.prelude ? "\n" + job.prelude : "") + "\ndel gc, sys\n");
  startTotal = heapTotal();
  if (job.file !== undefined) {
    // Run through compile() so tracebacks name the file.
    const g = mp.globals;
    g.set("_mpvm_src", source);
    g.set("_mpvm_fn", filename);
    mp.runPython(
      "_mpvm_code = compile(_mpvm_src, _mpvm_fn, 'exec')\ndel _mpvm_src, _mpvm_fn\n" +
        "exec(_mpvm_code, globals())"
    );
  } else if (Array.isArray(job.code)) {
    for (const chunk of job.code) mp.runPython(String(chunk));
  } else {
    mp.runPython(source);
  }
} catch (e) {
  if (e && e.name === "PythonError") {
    const msg = String(e.message || "");
    if (e.type === "SystemExit") {
      const lines = msg.trimEnd().split("\n");
      const last = lines[lines.length - 1];
      const arg = last.startsWith("SystemExit:") ? last.slice("SystemExit:".length).trim() : "";
      if (arg === "" || arg === "None") rc = 0;
      else if (/^-?\d+$/.test(arg)) rc = parseInt(arg, 10) & 255;
      else {
        flushAll();
        process.stderr.write(arg + "\n");
        rc = 1;
      }
    } else {
      let text = msg;
      // In file mode the first frame is our exec() wrapper: drop it.
      if (job.file !== undefined) text = text.replace(/^(Traceback[^\n]*\n)  File "<stdin>", line \d+, in <module>\n/, "$1");
      flushAll();
      process.stderr.write(text.endsWith("\n") ? text : text + "\n");
      rc = 1;
    }
  } else {
    flushAll();
    process.stderr.write(`mpvm: VM crashed: ${e && e.stack ? e.stack : e}\n`);
    rc = 70;
  }
}
flushAll();

try {
  const endTotal = heapTotal();
  if (job.heap_report) {
    const alloc = mp.pyimport("gc").mem_alloc();
    process.stderr.write(`mpvm: heap initial_total=${startTotal} final_total=${endTotal} alloc=${alloc}\n`);
  }
  if (endTotal > startTotal) {
    const note = `heap had to grow from ${startTotal} to ${endTotal} bytes: with heap=${heap} the board would have raised MemoryError`;
    if (job.strict_heap) {
      process.stderr.write(`mpvm: ${note}\n`);
      if (rc === 0) rc = 3;
    } else if (job.heap_report) {
      process.stderr.write(`mpvm: note: ${note}\n`);
    }
  }
} catch (e) {
  // the VM may be unusable after a crash; the exit code already says so
}
flushAll();
process.exit(rc);
