/* bankauth widget loader: the Okra.buildWithOptions / Okra.buildWithShortUrl
   API of okra-js, talking to this bankauth server. */
(function (root) {
  'use strict';
  var ORIGIN = "__BANKAUTH_ORIGIN__";
  var active = null;

  // strip drops functions and anything else JSON cannot carry.
  function strip(o) {
    return JSON.parse(JSON.stringify(o || {}));
  }

  function call(fn, arg) {
    if (typeof fn !== 'function') return;
    try {
      fn(arg);
    } catch (err) {
      setTimeout(function () { throw err; });
    }
  }

  function envOf(opts) {
    if (opts.env === 'production' || opts.env === 'live') return 'production';
    if (!opts.env && typeof opts.key === 'string' && opts.key.indexOf('pk_live_') === 0) return 'production';
    return 'production-sandbox';
  }

  function build(opts, payload) {
    if (active) active.teardown();
    var previousFocus = document.activeElement;
    var frame = document.createElement('iframe');
    frame.id = 'bankauth-widget-' + Math.floor(Math.random() * 1e9);
    frame.title = 'Link your bank account';
    frame.src = ORIGIN + '/?isIframe=true&withOptions=true';
    frame.style.cssText = 'position:fixed;top:0;left:0;width:100%;height:100%;border:0;margin:0;padding:0;' +
      'z-index:2147483647;background:transparent;color-scheme:normal;';
    frame.setAttribute('allowtransparency', 'true');
    var sent = false;
    var state = { frame: frame };

    function onMessage(e) {
      if (e.origin !== ORIGIN || !frame.contentWindow || e.source !== frame.contentWindow) return;
      var d = e.data;
      if (!d || typeof d !== 'object') return;
      if (d.ifameLoaded) {
        if (!sent) {
          sent = true;
          frame.contentWindow.postMessage(payload, ORIGIN);
          frame.focus();
        }
      } else if (d.close) {
        teardown();
        call(opts.onClose);
      } else if (d.success) {
        call(opts.onSuccess, d);
      } else if (d.error) {
        call(opts.onError, d);
      } else if (d.beforeClose) {
        call(opts.BeforeClose || opts.beforeClose, d);
      } else if (d.event) {
        call(opts.onEvent, d);
      }
    }

    function teardown() {
      root.removeEventListener('message', onMessage);
      if (frame.parentNode) frame.parentNode.removeChild(frame);
      if (active === state) active = null;
      if (previousFocus && typeof previousFocus.focus === 'function') previousFocus.focus();
    }

    state.teardown = teardown;
    active = state;
    root.addEventListener('message', onMessage);
    document.body.appendChild(frame);
  }

  var Okra = {
    origin: ORIGIN,
    buildWithOptions: function (opts) {
      opts = opts || {};
      var p = strip(opts);
      p.env = envOf(opts);
      p.source = opts.source || 'integration';
      p.withOptions = true;
      build(opts, p);
    },
    buildWithShortUrl: function (opts) {
      opts = opts || {};
      var p = strip(opts);
      p.ref = opts.short_url;
      delete p.short_url;
      p.source = opts.source || 'integration';
      p.withShortURL = true;
      build(opts, p);
    },
    close: function () {
      if (active) active.teardown();
    }
  };
  var previous = root.Okra;
  Okra.noConflict = function () {
    if (root.Okra === Okra) root.Okra = previous;
    return Okra;
  };
  root.Okra = Okra;
})(window);
