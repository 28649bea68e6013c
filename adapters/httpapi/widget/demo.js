// The demo host page: a company's site that opens the widget with /widget.js.
(function () {
  'use strict';
  var root = document.getElementById('demo');
  var result = document.getElementById('result');
  var events = document.getElementById('events');
  var status = document.getElementById('status');
  document.getElementById('open').addEventListener('click', function () {
    status.textContent = '';
    window.Okra.buildWithOptions({
      key: root.dataset.key,
      token: root.dataset.token,
      env: 'production-sandbox',
      products: ['auth', 'balance'],
      name: root.dataset.name,
      onSuccess: function (data) {
        result.textContent = JSON.stringify(data, null, 2);
        result.setAttribute('data-received', 'true');
      },
      onEvent: function (ev) {
        var li = document.createElement('li');
        li.textContent = ev.type || ev.event_name || 'event';
        events.appendChild(li);
      },
      onError: function (err) {
        status.textContent = 'onError: ' + (err.message || 'the link failed');
      },
      onClose: function () {
        status.textContent = 'The widget was closed.';
        status.setAttribute('data-closed', 'true');
        document.getElementById('open').focus();
      }
    });
  });
})();
