// The lab's loader: `cargo xtask finish-site` (xtask/src/modules.rs) writes it into index.html in
// place of trunk's, with this build's files in MODULES. The site ships two builds of the app
// (src/runtime/modules.rs): the first module, CPU (flex) and the 1.x demos, a quarter of the
// download; and the full module, with every demo and backend. The address says which one this
// page needs, so the choice is made here, before either downloads. The full module comes twice,
// with one glue: built with wasm's relaxed SIMD (`relaxed`, trunk's), whose fused multiply-add
// the models' CPU kernels use, for a browser that has it, and that build with its relaxed
// instructions lowered to simd128 (`full`, xtask/src/simd128.rs) for the others, which would
// refuse the relaxed one whole. `simd=simd128` in the address asks for the latter anyway (the
// benchmark compares the two, a test holds their answers equal).
const MODULES = /* __MODULES__ */;
// The demos whose code only the full module has (src/demos/mod.rs, FULL_MODULE_ONLY; a test
// there holds the two lists equal), and the backends only it has.
const FULL_DEMOS = ['text', 'classify', 'peptides', 'recommend', 'speech'];
const FULL_BACKENDS = ['webgpu', 'ndarray'];
const query = new URLSearchParams(location.search);
const which = query.get('module') === 'full' || FULL_DEMOS.includes(query.get('demo')) || FULL_BACKENDS.includes(query.get('backend')) ? 'full' : 'first';
// The smallest module with one function, `(a, b, c) => f32x4.relaxed_madd(a, b, c)`: a browser
// that validates it has relaxed SIMD.
const RELAXED_MADD = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // its body
]);
const relaxed = which === 'full' && query.get('simd') !== 'simd128' && WebAssembly.validate(RELAXED_MADD);
const { glue, wasm } = relaxed ? MODULES.relaxed : MODULES[which];
document.documentElement.dataset.labModule = which;
// Which SIMD the page's module computes with: scripts and the benchmark read it.
document.documentElement.dataset.labSimd = relaxed ? 'relaxed' : 'simd128';
// The links trunk would write: the lab's worker (src/runtime/worker.rs) starts the page's own
// program from them.
const link = (attributes) => document.head.append(Object.assign(document.createElement('link'), { crossOrigin: 'anonymous' }, attributes));
link({ rel: 'modulepreload', href: glue.href, integrity: glue.integrity });
link({ rel: 'preload', href: wasm.href, integrity: wasm.integrity, as: 'fetch', type: 'application/wasm' });
try {
  const bindings = await import(glue.href);
  const instance = await bindings.default({ module_or_path: wasm.href });
  // As trunk's loader: the benchmark calls the playground's tight loop through these bindings,
  // and tests wait for trunk's event.
  window.wasmBindings = bindings;
  dispatchEvent(new CustomEvent('TrunkApplicationStarted', { detail: { wasm: instance } }));
} catch (error) {
  // No program, so no app to say it: offline, a 2.x demo whose module this device never fetched
  // (the offline copy keeps the full module only once a page has loaded it), or a failed download.
  const loading = document.getElementById('loading');
  if (loading) {
    loading.setAttribute('role', 'alert');
    loading.dataset.state = 'failed';
    loading.textContent = `无法加载实验室的程序（${error.message}）：请检查网络后重新加载。离线时，只有在本设备上打开过的演示可用。`
      + ` The lab's program could not be loaded (${error.message}): check the connection and reload. Offline, only the demos opened on this device before work.`;
  }
  throw error;
}
