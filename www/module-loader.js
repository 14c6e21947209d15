// The lab's loader: `cargo xtask finish-site` (xtask/src/modules.rs) writes it into index.html in
// place of trunk's, with this build's files in MODULES. The site ships two builds of the app
// (src/runtime/modules.rs): the first module, CPU (flex) and the 1.x demos, a quarter of the
// download; and the full module, with every demo and backend. The address says which one this
// page needs, so the choice is made here, before either downloads.
const MODULES = /* __MODULES__ */;
// The demos whose code only the full module has (src/demos/mod.rs, FULL_MODULE_ONLY; a test
// there holds the two lists equal), and the backends only it has.
const FULL_DEMOS = ['text', 'classify', 'peptides', 'recommend', 'speech'];
const FULL_BACKENDS = ['webgpu', 'ndarray'];
const query = new URLSearchParams(location.search);
const which = query.get('module') === 'full' || FULL_DEMOS.includes(query.get('demo')) || FULL_BACKENDS.includes(query.get('backend')) ? 'full' : 'first';
const { glue, wasm } = MODULES[which];
document.documentElement.dataset.labModule = which;
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
