// The lab's Web Worker: the page's own program (the same JavaScript glue and wasm that trunk
// built and the page has already downloaded), started here in a module worker. Its `main` finds
// no window and answers the page's requests (src/worker_program.rs) instead of drawing a page.
//
// runtime/worker.rs names the two files in its first message, not in this script's address: the
// offline copy (sw.js) answers this script from its cache, and a worker's address is then the
// cached one, without a query string. Both files must be this site's.
addEventListener('message', (event) => {
  const own = (path) => {
    const url = new URL(path ?? '', self.location.href);
    if (url.origin !== self.location.origin) throw new Error(`the lab's worker runs only this site's program, not ${url}`);
    return url.href;
  };
  const start = async ({ glue, wasm }) => {
    const { default: init } = await import(own(glue));
    await init({ module_or_path: own(wasm) });
  };
  // A failure to start is thrown outside the promise, so that the page sees the worker's error.
  start(event.data?.start ?? {}).catch((error) => setTimeout(() => { throw error; }));
}, { once: true });
