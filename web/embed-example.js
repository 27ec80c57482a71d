// The course page's side of the postMessage API (see embed-example.html).
(function () {
  'use strict';
  const frame = document.getElementById('lesson-b');
  const out = document.getElementById('reply');
  let nextId = 1;
  const waiting = new Map();

  // Sends one operation; resolves with the frame's reply.
  function send(op, args) {
    const id = nextId++;
    frame.contentWindow.postMessage({ type: 'playground', id: id, op: op, args: args || [] }, '*');
    return new Promise((resolve) => waiting.set(id, resolve));
  }
  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow) return;
    const data = event.data;
    if (!data || data.type !== 'playground-reply') return;
    out.textContent = JSON.stringify(data, null, 1).slice(0, 2000);
    const resolve = waiting.get(data.id);
    if (resolve) {
      waiting.delete(data.id);
      resolve(data);
    }
  });
  window.embedExample = { send: send };
  document.getElementById('set-long').onclick = () => send('set', ['n', 4194304]);
  document.getElementById('set-short').onclick = () => send('set', ['n', 4096]);
  document.getElementById('read').onclick = () => send('metrics');
  document.getElementById('bad').onclick = () => send('set', ['n', '<img src=x onerror=alert(1)>']);
})();
