#!/usr/bin/env node
// Peer runner of `EdramFer.Bench peers`: face-api.js's FaceExpressionNet and Human's emotion model on tfjs's wasm
// backend, each loaded once, serving timed passes over images decoded once, so that the C# side can interleave
// its own passes with the peers'. One JSON object per line in each direction:
//
//   node peers.mjs --threads N          -> {"ready":true,"classes":[...],"runtime":{...}}
//   {"op":"decode","paths":[...]}        -> {"n":N,"decode_ms_per_image":x,"decoder":"..."}
//   {"op":"load","peer":"faceapi"}       -> {"peer":"faceapi","load_ms":x,"info":{...}}     (or "human")
//   {"op":"pass","peer":P,"batch":B[,"count":C]}
//                                        -> {"images":n,"seconds":s,"images_per_s":r,"predictions":[k,...]}
//   a failed request                     -> {"error":"..."}; end of input or {"op":"quit"} ends the process
//
// A pass times decoded pixels -> class probabilities read back: tensor creation, the library's (face-api) or
// emotion.ts's (Human) preprocessing, the network and .data(). Predictions are argmax indices in `classes` order.
// How each peer is fed and why: the peer reference (docs/benchmarks.md, "Peers side by side").
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

// Every prediction leaves in this order: FER2013's names, alphabetical (EdramFer's labels too).
const CLASSES = ['angry', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'];
// face-api's FaceExpressions fields -> CLASSES names.
const FACEAPI_NAMES = { angry: 'angry', disgusted: 'disgust', fearful: 'fear', happy: 'happy', neutral: 'neutral', sad: 'sad', surprised: 'surprise' };
// Human's order for a 1-channel emotion model (src/gear/emotion.ts), also oarriaga's get_labels('fer2013').
const HUMAN_ORDER = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];

// The protocol owns stdout: libraries' console chatter goes to stderr.
const send = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
console.log = console.info = console.warn = (...a) => process.stderr.write(a.join(' ') + '\n');

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const pkgDir = (name) => path.join(here, 'node_modules', ...name.split('/'));
const pkgVersion = (name) => JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8')).version;
const argmax = (p, from, n) => { let b = 0; for (let i = 1; i < n; i++) if (p[from + i] > p[from + b]) b = i; return b; };

const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const sharp = require('sharp');

async function initBackend(threads) {
  // Under Node, tfjs-backend-wasm has no threaded build; at one thread say so explicitly so a future version cannot
  // change it silently. The thread count the backend really uses is reported either way.
  if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(threads);
  wasm.setWasmPaths(path.join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('could not start the tfjs wasm backend');
  await tf.ready();
  sharp.concurrency(1); // decoding is outside the timed part; keep it off the other core
  sharp.cache(false);
  return {
    backend: tf.getBackend(),
    threads: wasm.getThreadsCount(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    tfjs: tf.version.tfjs,
    node: process.version,
    decoder: `sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), 8-bit sRGB, grey copied to 3 channels`,
  };
}

async function decode(file) { // -> { width, height, data: Uint8Array RGB }
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: sharp gave ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

// Each peer: { info, predict(images) -> Float32Array of images.length x CLASSES.length probabilities }.
async function faceapiPeer() {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js'); // the same tfjs instance as above
  const dir = path.join(pkgDir('@vladmandic/face-api'), 'model');
  const net = faceapi.nets.faceExpressionNet;
  await net.loadFromDisk(dir);
  const files = ['face_expression_model-weights_manifest.json', 'face_expression_model.bin'];
  const slots = Object.entries(FACEAPI_NAMES).map(([field, name]) => [field, CLASSES.indexOf(name)]);
  return {
    info: {
      package: `@vladmandic/face-api ${pkgVersion('@vladmandic/face-api')}`, net: 'FaceExpressionNet',
      model_files: Object.fromEntries(files.map((f) => [f, sha256(fs.readFileSync(path.join(dir, f)))])),
      input: 'RGB uint8 tensors to predictExpressions (the library pads to square, resizes to 112x112, subtracts the mean RGB, /255)',
    },
    async predict(images) {
      const ts = images.map((im) => tf.tensor3d(im.data, [im.height, im.width, 3], 'int32'));
      const ex = await net.predictExpressions(ts.length === 1 ? ts[0] : ts);
      ts.forEach((t) => t.dispose());
      const out = new Float32Array(images.length * CLASSES.length);
      (Array.isArray(ex) ? ex : [ex]).forEach((e, i) => { for (const [field, k] of slots) out[i * CLASSES.length + k] = e[field]; });
      return out;
    },
  };
}

async function humanPeer() {
  // Human runs this model only behind its face detector, so it is run here with tfjs directly, repeating
  // src/gear/emotion.ts of @vladmandic/human 3.3.6 on the whole image as the face (RGB in 0..1):
  // resizeBilinear to the input size (alignCorners false), grey = rgb . [0.2989, 0.5870, 0.1140], (grey - 0.5) * 2.
  const file = path.join(pkgDir('@vladmandic/human'), 'models', 'emotion.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const specs = []; const bufs = []; const model_files = { 'emotion.json': sha256(fs.readFileSync(file)) };
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) { const b = fs.readFileSync(path.join(path.dirname(file), p)); bufs.push(b); model_files[p] = sha256(b); }
  }
  const all = Buffer.concat(bufs);
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  }));
  const [, , size, channels] = model.inputs[0].shape;
  if (channels !== 1) throw new Error(`${file}: input has ${channels} channels, expected the 1-channel FER2013 model`);
  const slots = HUMAN_ORDER.map((c) => CLASSES.indexOf(c));
  const grey = tf.tensor1d([0.2989, 0.5870, 0.1140], 'float32');
  return {
    info: {
      package: `@vladmandic/human ${pkgVersion('@vladmandic/human')}`, net: 'emotion (oarriaga big_XCEPTION, FER2013)', model_files,
      input: `the whole image /255 as Human's face crop, then emotion.ts: resize to ${size}x${size}, grey, (grey - 0.5) * 2`,
    },
    async predict(images) {
      const y = tf.tidy(() => {
        const faces = images.map((im) => tf.image.resizeBilinear(
          tf.div(tf.tensor4d(im.data, [1, im.height, im.width, 3], 'float32'), 255), [size, size], false));
        const x = faces.length === 1 ? faces[0] : tf.concat(faces, 0);
        return model.execute(tf.mul(tf.sub(tf.sum(tf.mul(x, grey), 3, true), 0.5), 2));
      });
      const d = await y.data();
      y.dispose();
      const out = new Float32Array(images.length * CLASSES.length);
      for (let i = 0; i < images.length; i++) for (let j = 0; j < slots.length; j++) out[i * CLASSES.length + slots[j]] = d[i * slots.length + j];
      return out;
    },
  };
}

const loaders = { faceapi: faceapiPeer, human: humanPeer };
const peers = {};
let images = [];

async function pass({ peer, batch, count }) {
  const p = peers[peer];
  if (!p) throw new Error(`peer '${peer}' is not loaded: send {"op":"load","peer":"${peer}"} first`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  const n = Math.min(count ?? images.length, images.length);
  if (n === 0) throw new Error('no images decoded: send {"op":"decode","paths":[...]} first');
  const predictions = new Array(n);
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < n; s += batch) {
    const chunk = images.slice(s, Math.min(s + batch, n));
    const probs = await p.predict(chunk);
    for (let i = 0; i < chunk.length; i++) predictions[s + i] = argmax(probs, i * CLASSES.length, CLASSES.length);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { images: n, seconds, images_per_s: n / seconds, predictions };
}

async function handle(req) {
  switch (req.op) {
    case 'decode': {
      const t0 = process.hrtime.bigint();
      images = [];
      for (const f of req.paths) images.push(await decode(f));
      return { n: images.length, decode_ms_per_image: Number(process.hrtime.bigint() - t0) / 1e6 / Math.max(1, images.length) };
    }
    case 'load': {
      if (!loaders[req.peer]) throw new Error(`unknown peer '${req.peer}': expected ${Object.keys(loaders).join(' or ')}`);
      const t0 = process.hrtime.bigint();
      peers[req.peer] = await loaders[req.peer]();
      return { peer: req.peer, load_ms: Number(process.hrtime.bigint() - t0) / 1e6, info: peers[req.peer].info };
    }
    case 'pass': return pass(req);
    default: throw new Error(`unknown op '${req.op}': expected decode, load, pass or quit`);
  }
}

async function main() {
  const i = process.argv.indexOf('--threads');
  const threads = i > 0 ? Number(process.argv[i + 1]) : 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer, got ${process.argv[i + 1]}`);
  send({ ready: true, classes: CLASSES, runtime: await initBackend(threads) });
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let req;
    try { req = JSON.parse(line); } catch { send({ error: `not JSON: ${line.slice(0, 80)}` }); continue; }
    if (req.op === 'quit') break;
    try { send(await handle(req)); } catch (e) { send({ error: String(e?.message ?? e) }); }
  }
}

main().then(() => process.exit(0), (e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exit(1); });
