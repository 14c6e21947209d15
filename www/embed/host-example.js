// The embedding side of the lab's postMessage protocol (README.md, "Embedding").
// Copy what you need: create the iframe, listen for its events, send it commands.
'use strict';

const PROTOCOL = 'open-model-lab';
const VERSION = 1;

const page = new URL(location.href);
// The lab to embed: ?lab=URL, or this site's own text demo.
const lab = new URL(page.searchParams.get('lab') ?? new URL('../?demo=text', location.href).href);
lab.searchParams.set('embed', '1');
// Only origins named in hosts= may send commands; events can be read by anyone.
if (!lab.searchParams.has('hosts')) lab.searchParams.set('hosts', location.origin);

const frame = document.getElementById('lab');
const labOrigin = lab.origin;
let lang = lab.searchParams.get('lang') ?? 'zh';

/** Every event heard, for the list below the frame (and for tests). */
window.labEvents = [];

window.addEventListener('message', (event) => {
  const data = event.data;
  if (event.source !== frame.contentWindow || data?.protocol !== PROTOCOL) return;
  window.labEvents.push(data);
  if (data.type === 'height') {
    frame.style.height = `${data.height}px`;
  }
  if (data.type === 'height' && window.labEvents.filter((e) => e.type === 'height').length > 3) {
    return; // the list shows the first few sizes only
  }
  const item = document.createElement('li');
  const { protocol, version, ...rest } = data;
  item.textContent = JSON.stringify(rest);
  document.getElementById('events').append(item);
});

/** Sends a command to the lab; only the lab's origin can read it. */
function send(type, fields = {}) {
  frame.contentWindow.postMessage({ protocol: PROTOCOL, version: VERSION, type, ...fields }, labOrigin);
}
window.sendToLab = send;

document.getElementById('sentence').addEventListener('submit', (event) => {
  event.preventDefault();
  send('set-input', { text: document.getElementById('text').value });
});
document.getElementById('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  send('set-language', { lang });
});

frame.src = lab.href;
