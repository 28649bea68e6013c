/* bankauth widget: consent → bank → method → credentials → challenge or
   USSD → accounts → success, on the link API (/widget/v1/sessions). Speaks
   okra-js's postMessage protocol when framed. */
(function () {
  'use strict';

  var API = '/widget/v1/sessions';
  var inFrame = window.parent !== window;
  var view = document.getElementById('view');

  var st = {
    options: null,      // the options the widget was opened with
    opened: null,       // the open-session answer
    token: '',
    bank: null,         // the chosen SessionBank
    method: '',
    quick: '',          // 'otp' or 'password' for a returning quick login
    ussdCode: '',
    parentOrigin: '',   // the origin of the page that sent the options
    verifiedOrigin: '', // parentOrigin once the server accepted it for the company
    pollTimer: 0,
    polling: false,
    busy: false,
    done: false,
    closing: false,
    hosted: false
  };

  // ---- DOM helpers (text only: nothing from outside becomes markup) ----

  function el(tag, attrs) {
    var node = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else if (k.indexOf('on') === 0) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    });
    kids.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) node.appendChild(x); });
      else node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function button(label, attrs) {
    attrs = attrs || {};
    attrs.type = attrs.type || 'button';
    attrs['class'] = attrs['class'] || 'btn primary';
    return el('button', attrs, label);
  }

  // ---- okra-js options this widget honours (see the README's table) ----

  function opt(name) {
    var o = st.options || {};
    return o[name];
  }

  function optText(name) {
    var v = opt(name);
    return typeof v === 'string' ? v.trim() : '';
  }

  // webURL returns s when it is an http(s) URL, else ''.
  function webURL(s) {
    if (typeof s !== 'string' || !/^https?:\/\//i.test(s)) return '';
    try { return new URL(s).toString(); } catch (e) { return ''; }
  }

  // accountKind is 'corporate', 'individual' or '' (both), from
  // account_type or isCorporate.
  function accountKind() {
    var t = String(opt('account_type') || '').toLowerCase();
    if (t === 'corporate' || t === 'corp' || opt('isCorporate') === true) return 'corporate';
    if (t === 'individual' || t === 'ind' || t === 'personal') return 'individual';
    return '';
  }

  function methodsFor(bank) {
    var kind = accountKind();
    return (bank.methods || []).filter(function (m) {
      if (m === 'returning') return false;
      var corp = m.indexOf('corporate') === 0;
      return kind === 'corporate' ? corp : kind === 'individual' ? !corp : true;
    });
  }

  // singleAccount: selection_type 'single' or multi_account false.
  function singleAccount() {
    var t = String(opt('selection_type') || '').toLowerCase();
    return t === 'single' || opt('multi_account') === false || opt('multi_account') === 'false';
  }

  function visibleBanks(banks) {
    var countries = opt('countries');
    var want = Array.isArray(countries) ? countries.map(function (c) { return String(c).toUpperCase(); }) : [];
    return (banks || []).filter(function (b) {
      if (want.length && b.country && want.indexOf(String(b.country).toUpperCase()) < 0) return false;
      return methodsFor(b).length > 0 || (b.quick_login && b.quick_login.length > 0);
    });
  }

  function companyName() {
    var o = st.options || {};
    return o.name || o.clientName || (st.opened && st.opened.company) || 'This company';
  }

  // ---- messages to the host page (okra-js protocol) ----

  // Only the handshake may go to any parent: it carries nothing. Every other
  // message goes to the parent's origin, and only once the server has opened
  // the session for it (the company's allowed origins). Until then, and
  // when the server refuses the origin, nothing is posted at all.
  function post(msg) {
    if (!inFrame) return;
    var target = msg.ifameLoaded ? '*' : st.verifiedOrigin;
    if (!target) return;
    try {
      window.parent.postMessage(msg, target);
    } catch (e) { /* the host went away */ }
  }

  function sessionID() {
    return st.opened ? st.opened.session_id : undefined;
  }

  // ---- screens ----

  var current = '';

  function show(name, title, body, opts) {
    opts = opts || {};
    stopPolling();
    current = name;
    var heading = el('h1', { id: 'screen-title', tabindex: '-1', text: title });
    var section = el('section', { 'class': 'screen screen-' + name, 'data-screen': name }, heading, body);
    view.replaceChildren(section);
    view.scrollTop = 0;
    var focusTarget = opts.focus ? section.querySelector(opts.focus) : null;
    (focusTarget || heading).focus();
    post({ event: true, type: name, event_name: name, session_id: sessionID(), bank: st.bank ? st.bank.slug : undefined });
    return section;
  }

  function alertBox(text) {
    return el('p', { 'class': 'alert', role: 'alert', text: text });
  }

  function setAlert(section, text) {
    if (!section) return;
    var box = section.querySelector('.form-alert');
    if (!box) return;
    box.textContent = text || '';
    box.hidden = !text;
  }

  function formAlert() {
    return el('p', { 'class': 'alert form-alert', role: 'alert', hidden: true });
  }

  function field(label, attrs, hint) {
    var id = 'f-' + attrs.name;
    attrs.id = id;
    attrs['class'] = 'input';
    var hintEl = null;
    if (hint) {
      hintEl = el('p', { 'class': 'hint', id: id + '-hint', text: hint });
      attrs['aria-describedby'] = id + '-hint';
    }
    return el('div', { 'class': 'field' }, el('label', { 'for': id, text: label }), el('input', attrs), hintEl);
  }

  function setBusy(section, busy) {
    st.busy = busy;
    section.setAttribute('aria-busy', busy ? 'true' : 'false');
    Array.prototype.forEach.call(section.querySelectorAll('button, input'), function (b) {
      if (busy) {
        b.setAttribute('data-was-disabled', b.disabled ? '1' : '');
        b.disabled = true;
      } else {
        b.disabled = b.getAttribute('data-was-disabled') === '1';
        b.removeAttribute('data-was-disabled');
      }
    });
  }

  function showLoading(text) {
    show('loading', text || 'Loading…', el('div', { 'class': 'spinner', 'aria-hidden': 'true' }));
  }

  function showConsent() {
    var name = companyName();
    var list = el('ul', { 'class': 'points' },
      el('li', { text: 'Your bank login goes straight to your bank. Nobody stores it.' }),
      el('li', { text: 'You choose which accounts ' + name + ' may see.' }),
      el('li', { text: name + ' sees the account names, numbers and balances you share, and nothing else.' }));
    var go = el('button', { type: 'button', 'class': 'btn primary', 'data-action': 'consent', onclick: afterConsent },
      el('span', { 'data-action': 'submit', text: 'Continue' }));
    var connectMessage = optText('connectMessage');
    show('consent', name + ' wants to link your bank account', [
      el('p', { 'class': 'lead', text: name + ' uses bankauth to confirm your bank account.' }),
      connectMessage ? el('p', { 'class': 'connect-message', 'data-connect-message': true, text: connectMessage }) : null,
      list,
      el('div', { 'class': 'actions' }, go)
    ], { focus: '[data-action=consent]' });
  }

  function afterConsent() {
    if (st.opened.returning && st.opened.banks.length) showReturning();
    else showBanks();
  }

  function statusBadge(status) {
    if (status === 'degraded') return el('span', { 'class': 'badge warn', text: 'Slow right now' });
    if (status === 'down') return el('span', { 'class': 'badge bad', text: 'Unavailable right now' });
    return null;
  }

  function bankIcon(b) {
    var src = b.icon && b.icon.charAt(0) === '/' ? b.icon : '/widget/assets/bank.svg';
    return el('img', { 'class': 'bank-icon', src: src, alt: '', width: '32', height: '32' });
  }

  function showBanks() {
    var banks = visibleBanks(st.opened.banks);
    var list = el('ul', { 'class': 'choices', 'aria-label': 'Banks' });
    var empty = el('p', { 'class': 'hint', role: 'status', hidden: true, text: 'No bank matches your search.' });
    function render(q) {
      q = (q || '').trim().toLowerCase();
      var items = banks.filter(function (b) {
        return !q || b.name.toLowerCase().indexOf(q) >= 0 || b.slug.indexOf(q) >= 0;
      }).map(function (b) {
        return el('li', null, el('button', {
          type: 'button', 'class': 'choice', 'data-bank': b.slug,
          onclick: function () { chooseBank(b); }
        }, bankIcon(b), el('span', { 'class': 'choice-name', text: b.name }), statusBadge(b.status)));
      });
      list.replaceChildren.apply(list, items);
      empty.hidden = items.length > 0;
    }
    var search = el('input', {
      type: 'search', name: 'search', id: 'f-search', 'class': 'input', autocomplete: 'off',
      placeholder: 'Bank name', oninput: function (e) { render(e.target.value); }
    });
    render('');
    show('banks', 'Select your bank', [
      el('div', { 'class': 'field' }, el('label', { 'for': 'f-search', text: 'Search banks' }), search),
      banks.length ? list : el('p', { text: 'No bank is available for this link right now.' }),
      empty
    ], { focus: '#f-search' });
  }

  function chooseBank(b) {
    st.bank = b;
    st.quick = '';
    showMethods();
  }

  var methodLabels = {
    internet_banking: ['Internet banking', 'The username and password of your bank\'s website'],
    mobile_banking: ['Mobile banking', 'The login of your bank\'s app'],
    ussd: ['USSD', 'Dial a code from your phone; no password needed'],
    corporate_internet_banking: ['Corporate internet banking', 'Your company\'s internet banking login']
  };

  function showMethods() {
    var b = st.bank;
    var methods = methodsFor(b);
    var list = el('ul', { 'class': 'choices', 'aria-label': 'Ways to log in' }, methods.map(function (m) {
      var label = methodLabels[m] || [m.replace(/_/g, ' '), ''];
      return el('li', null, el('button', {
        type: 'button', 'class': 'choice', 'data-method': m,
        onclick: function () { st.method = m; st.quick = ''; showCredentials(); }
      }, el('span', { 'class': 'choice-text' },
        el('span', { 'class': 'choice-name', text: label[0] }),
        label[1] ? el('span', { 'class': 'choice-sub', text: label[1] }) : null)));
    }));
    show('method', 'How do you log in to ' + b.name + '?', [
      statusBadge(b.status) ? alertBox(b.name + ' is ' + (b.status === 'down' ? 'unavailable' : 'slow') + ' right now; logging in may fail.') : null,
      list,
      el('div', { 'class': 'actions' }, button('Choose another bank', { 'class': 'btn link', onclick: backToBanks }))
    ], { focus: '[data-method]' });
  }

  function backToBanks() {
    if (st.opened.returning) showReturning();
    else showBanks();
  }

  function showCredentials() {
    var b = st.bank;
    var quickPassword = st.method === 'returning';
    var fields;
    if (st.method === 'ussd') {
      fields = [field('Phone number', { name: 'phone', type: 'tel', autocomplete: 'tel', inputmode: 'tel', required: true },
        'The number registered with ' + b.name + ', e.g. 0803 000 0000.')];
    } else if (quickPassword) {
      fields = [el('p', { 'class': 'lead', text: 'Welcome back. ' + b.name + ' remembers your username; type your password.' }),
        field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })];
    } else {
      fields = [field('Username or user ID', { name: 'username', type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true }),
        field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })];
    }
    var form = el('form', { novalidate: true, onsubmit: function (e) { e.preventDefault(); submitCredentials(section, form); } },
      fields, formAlert(),
      el('div', { 'class': 'actions' },
        button(st.method === 'ussd' ? 'Get my code' : 'Log in', { type: 'submit', 'data-action': 'submit' }),
        button(quickPassword ? 'Choose another bank' : 'Another way to log in', { 'class': 'btn link', onclick: quickPassword ? backToBanks : showMethods })));
    var title = st.method === 'ussd' ? 'Log in to ' + b.name + ' by USSD' : 'Log in to ' + b.name;
    var section = show('credentials', title, form, { focus: 'input' });
  }

  function submitCredentials(section, form) {
    if (st.busy) return;
    var creds = {};
    var missing = '';
    Array.prototype.forEach.call(form.querySelectorAll('input'), function (i) {
      var v = i.name === 'password' ? i.value : i.value.trim();
      if (!v && !missing) missing = i.labels && i.labels[0] ? i.labels[0].textContent : i.name;
      creds[i.name] = v;
    });
    if (missing) {
      setAlert(section, 'Enter your ' + missing.toLowerCase() + '.');
      var first = form.querySelector('input');
      Array.prototype.some.call(form.querySelectorAll('input'), function (i) {
        if (!i.value) { i.focus(); return true; }
        return false;
      }) || first.focus();
      return;
    }
    login(section, st.method, creds);
  }

  function login(section, method, creds) {
    setAlert(section, '');
    if (section) setBusy(section, true);
    api('POST', API + '/' + st.opened.session_id + '/login', { bank: st.bank.slug, method: method, credentials: creds })
      .then(function (r) {
        if (section) setBusy(section, false);
        handleStep(r, section);
      }, function () {
        if (section) setBusy(section, false);
        networkTrouble(section);
      });
  }

  function quickLogin(bank, kind) {
    st.bank = bank;
    st.method = 'returning';
    st.quick = kind;
    if (kind === 'password') {
      showCredentials();
      return;
    }
    showLoading('Asking ' + bank.name + ' for a code…');
    login(null, 'returning', {});
  }

  function showReturning() {
    var banks = visibleBanks(st.opened.banks);
    var list = el('ul', { 'class': 'returning-list' }, banks.map(function (b) {
      var quick = b.quick_login && b.quick_login.length ? b.quick_login : ['otp', 'password'];
      var accounts = el('ul', { 'class': 'masked', 'aria-label': 'Accounts linked at ' + b.name }, (b.accounts || []).map(function (a) {
        return el('li', null, el('span', { text: a.name }), ' ', el('span', { 'class': 'nuban', text: a.nuban }));
      }));
      return el('li', { 'class': 'returning-bank', 'data-returning-bank': b.slug },
        el('div', { 'class': 'returning-head' }, bankIcon(b), el('span', { 'class': 'choice-name', text: b.name }), statusBadge(b.status)),
        accounts,
        el('div', { 'class': 'actions row' },
          quick.indexOf('otp') >= 0 ? button('Send me a code', { 'data-quick': 'otp', onclick: function () { quickLogin(b, 'otp'); } }) : null,
          quick.indexOf('password') >= 0 ? button('Use my password', { 'class': 'btn secondary', 'data-quick': 'password', onclick: function () { quickLogin(b, 'password'); } }) : null),
        button('Log in with my bank details instead', { 'class': 'btn link', onclick: function () { chooseBank(b); } }));
    }));
    show('returning', 'Welcome back', [
      el('p', { 'class': 'lead', text: 'You linked these banks before. Pick one to log in quickly.' }),
      list
    ], { focus: '[data-quick]' });
  }

  function showChallenge(step) {
    var c = step.challenge || {};
    var isOTP = c.type === 'otp';
    var left = typeof c.attempts_left === 'number' ? c.attempts_left : null;
    var leftText = left === null ? '' : left + (left === 1 ? ' attempt left.' : ' attempts left.');
    var input = isOTP
      ? field('One-time code', { name: 'answer', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', required: true }, c.prompt || 'Enter the code your bank sent you.')
      : field(c.prompt || 'Your answer', { name: 'answer', type: 'text', autocomplete: 'off', required: true });
    var form = el('form', { novalidate: true, onsubmit: function (e) { e.preventDefault(); answer(section, form); } },
      c.wrong ? el('p', { 'class': 'alert wrong', role: 'alert', text: 'That was not right. ' + leftText }) : (leftText ? el('p', { 'class': 'hint', text: 'You have ' + leftText.replace(' left.', '.') }) : null),
      input, formAlert(),
      el('div', { 'class': 'actions' }, button('Continue', { type: 'submit', 'data-action': 'submit' })));
    var section = show('challenge', isOTP ? 'Enter the code from ' + st.bank.name : 'Answer ' + st.bank.name + '\'s security question', form, { focus: 'input' });
  }

  function answer(section, form) {
    if (st.busy) return;
    var v = form.querySelector('input[name=answer]').value.trim();
    if (!v) {
      setAlert(section, 'Enter your answer.');
      form.querySelector('input').focus();
      return;
    }
    setBusy(section, true);
    api('POST', API + '/' + st.opened.session_id + '/challenge', { answer: v }).then(function (r) {
      setBusy(section, false);
      handleStep(r, section);
    }, function () {
      setBusy(section, false);
      networkTrouble(section);
    });
  }

  function showUSSD(step) {
    var c = step.challenge || {};
    if (c.ussd_code) st.ussdCode = c.ussd_code;
    if (current !== 'ussd') {
      show('ussd', 'Dial the code to approve', [
        el('p', { 'class': 'lead', text: c.prompt || ('Dial this code from your phone to let ' + st.bank.name + ' approve the login.') }),
        el('p', { 'class': 'ussd-code' }, el('code', { 'data-ussd-code': true, text: st.ussdCode || '…' })),
        el('div', { 'class': 'waiting', role: 'status' }, el('span', { 'class': 'spinner small', 'aria-hidden': 'true' }),
          el('span', { text: 'Waiting for ' + st.bank.name + ' to confirm…' })),
        el('div', { 'class': 'actions' }, button('I have dialled it', { 'data-action': 'submit', onclick: pollNow }))
      ], { focus: '[data-action=submit]' });
    }
    schedulePoll(step.poll_after_ms || 1000);
  }

  function stopPolling() {
    clearTimeout(st.pollTimer);
    st.pollTimer = 0;
  }

  function schedulePoll(ms) {
    stopPolling();
    st.pollTimer = setTimeout(pollNow, Math.max(200, Math.min(ms, 10000)));
  }

  function pollNow() {
    stopPolling();
    if (st.polling || st.closing || current !== 'ussd') return;
    st.polling = true;
    api('GET', API + '/' + st.opened.session_id).then(function (r) {
      st.polling = false;
      if (current !== 'ussd' || st.closing) return;
      handleStep(r, null);
    }, function () {
      st.polling = false;
      if (current === 'ussd') schedulePoll(2000);
    });
  }

  function showAccounts(step) {
    var accounts = step.accounts || [];
    var single = singleAccount();
    var currency = optText('currency').toUpperCase();
    var usable = 0;
    var list = el('ul', { 'class': 'accounts' }, accounts.map(function (a) {
      var id = 'acct-' + a.id;
      // currency: only accounts in it may be chosen.
      var other = !!currency && !!a.currency && String(a.currency).toUpperCase() !== currency;
      if (!other) usable++;
      return el('li', null, el('label', { 'class': 'account' + (other ? ' disabled' : ''), 'for': id },
        el('input', { type: single ? 'radio' : 'checkbox', id: id, name: 'account', value: a.id, 'data-account': a.id, disabled: other }),
        el('span', { 'class': 'account-text' },
          el('span', { 'class': 'account-name', text: a.name }),
          el('span', { 'class': 'account-sub', text: [a.nuban, a.type, a.currency].filter(Boolean).join(' · ') })),
        other ? el('span', { 'class': 'badge warn', 'data-other-currency': true, text: 'Not in ' + currency }) : null,
        a.already_connected ? el('span', { 'class': 'badge ok', 'data-already-connected': true, text: 'Already connected' }) : null));
    }));
    var form = el('form', { novalidate: true, onsubmit: function (e) { e.preventDefault(); connect(section, form); } },
      el('fieldset', null, el('legend', { text: (single ? 'Choose one account at ' : 'Accounts at ') + st.bank.name }), list),
      usable ? null : el('p', { 'class': 'alert', role: 'alert', text: 'None of your accounts at ' + st.bank.name + ' is in ' + currency + '.' }),
      el('p', { 'class': 'consent-note', text: 'By selecting Connect you allow ' + companyName() + ' to see the names, numbers and balances of the accounts you chose.' }),
      formAlert(),
      el('div', { 'class': 'actions' }, button('Connect', { type: 'submit', 'data-action': 'submit' })));
    var section = show('accounts', 'Choose the accounts to share', form, { focus: 'input[type=checkbox]' });
  }

  function connect(section, form) {
    if (st.busy) return;
    var ids = Array.prototype.filter.call(form.querySelectorAll('input[name=account]'), function (c) { return c.checked && !c.disabled; })
      .map(function (c) { return c.value; });
    if (!ids.length) {
      setAlert(section, 'Choose at least one account.');
      form.querySelector('input').focus();
      return;
    }
    setBusy(section, true);
    api('POST', API + '/' + st.opened.session_id + '/accounts', { accounts: ids, consent: true }).then(function (r) {
      setBusy(section, false);
      var j = r.json || {};
      if (r.status === 200 && j.success) succeed(j);
      else apiError(r, section);
    }, function () {
      setBusy(section, false);
      networkTrouble(section);
    });
  }

  function succeed(payload) {
    st.done = true;
    var msg = {};
    Object.keys(payload).forEach(function (k) { msg[k] = payload[k]; });
    msg.success = true;
    post(msg);
    // widget_success is a message, or a URL to go to (as redirect_url).
    var successURL = webURL(opt('widget_success'));
    var target = st.options.redirect_url || successURL;
    var redirect = !inFrame && target ? redirectURL(target, payload) : '';
    var framedLink = inFrame && successURL ? redirectURL(successURL, payload) : '';
    var n = (payload.accounts || []).length;
    var message = optText('success_message') || (successURL ? '' : optText('widget_success'));
    var showBalance = opt('showBalance') === true || opt('showBalance') === 'true';
    show('success', optText('success_title') || 'Your account is linked', [
      el('p', { 'class': 'lead', text: (n === 1 ? 'One account' : n + ' accounts') + ' at ' + st.bank.name + ' now linked to ' + companyName() + '.' }),
      message ? el('p', { 'data-success-message': true, text: message }) : null,
      el('ul', { 'class': 'masked' }, (payload.accounts || []).map(function (a) {
        var bal = showBalance && a.available_balance !== undefined && a.available_balance !== null
          ? el('span', { 'class': 'balance', 'data-balance': a.id, text: formatMoney(a.available_balance, a.currency) }) : null;
        return el('li', null, el('span', { text: a.name }), ' ', el('span', { 'class': 'nuban', text: mask(a.nuban) }), bal ? ' ' : null, bal);
      })),
      redirect ? el('p', { role: 'status', text: 'Taking you back to ' + companyName() + '…' }) : null,
      el('div', { 'class': 'actions' }, redirect
        ? el('a', { 'class': 'btn primary', href: redirect, 'data-action': 'submit', text: 'Continue' })
        : framedLink
          ? el('a', { 'class': 'btn primary', href: framedLink, target: '_top', rel: 'noopener', 'data-action': 'submit', text: 'Continue' })
          : button('Done', { 'data-action': 'submit', onclick: close }))
    ], { focus: '[data-action=submit]' });
    if (redirect) window.location.assign(redirect);
  }

  function formatMoney(amount, currency) {
    var n = Number(amount);
    if (!isFinite(n)) return '';
    try {
      return new Intl.NumberFormat('en-NG', { style: 'currency', currency: currency || 'NGN' }).format(n);
    } catch (e) {
      return (currency || '') + ' ' + n.toFixed(2);
    }
  }

  function mask(nuban) {
    nuban = String(nuban || '');
    return nuban.length > 4 ? '******' + nuban.slice(-4) : nuban;
  }

  function redirectURL(base, payload) {
    try {
      var u = new URL(base);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return '';
      u.searchParams.set('record_id', payload.record_id || '');
      u.searchParams.set('customer_id', payload.customer_id || '');
      return u.toString();
    } catch (e) {
      return '';
    }
  }

  // ---- failures ----

  function fail(err) {
    err = err || {};
    post({ error: true, type: err.type, code: err.code, message: err.message, retryable: !!err.retryable, session_id: sessionID() });
    var retryable = !!err.retryable && !!st.opened;
    var wasQuick = st.method === 'returning';
    var body = [el('p', { 'class': 'lead', 'data-error-code': err.code || '', text: err.message || 'Something went wrong.' })];
    // widget_failed is a message, or a URL to send the customer to.
    var failedURL = webURL(opt('widget_failed'));
    var failedText = failedURL ? '' : optText('widget_failed');
    if (failedText) body.push(el('p', { 'data-failed-message': true, text: failedText }));
    if (retryable) {
      body.push(el('p', { text: wasQuick ? 'You can log in with your bank details instead.' : 'You can try again.' }));
      body.push(el('div', { 'class': 'actions' },
        button(wasQuick ? 'Log in with my bank details' : 'Try again', {
          'data-action': 'submit',
          onclick: function () {
            if (wasQuick) { st.quick = ''; showMethods(); } else showCredentials();
          }
        }),
        st.bank ? button('Choose another bank', { 'class': 'btn link', onclick: backToBanks }) : null));
    } else if (failedURL && st.opened) {
      body.push(el('div', { 'class': 'actions' },
        el('a', { 'class': 'btn primary', href: failedURL, target: inFrame ? '_top' : '_self', rel: 'noopener', 'data-action': 'submit', text: 'Continue' }),
        button('Close', { 'class': 'btn link', onclick: close })));
    } else {
      body.push(el('div', { 'class': 'actions' }, button('Close', { 'data-action': 'submit', onclick: close })));
    }
    show('error', titleFor(err), body, { focus: '[data-action=submit]' });
  }

  function titleFor(err) {
    if (err.code === 'ORIGIN_NOT_ALLOWED' || err.type === 'ORIGIN_NOT_ALLOWED') return 'This site may not open this link';
    switch (err.type || err.code) {
      case 'INVALID_CREDENTIALS': return 'Your bank did not accept those details';
      case 'BANK_UNAVAILABLE': return (st.bank ? st.bank.name : 'Your bank') + ' is unavailable';
      case 'BANK_TIMEOUT': return (st.bank ? st.bank.name : 'Your bank') + ' did not answer in time';
      case 'ACCOUNT_LOCKED': return 'Your bank account is locked';
      case 'MFA_FAILED': return 'Too many wrong answers';
      case 'USSD_DECLINED': return 'The USSD request was declined';
      case 'DUPLICATE_ACCOUNT': return 'This account is already linked';
      case 'EXPIRED':
      case 'SESSION_EXPIRED': return 'This link has expired';
    }
    return 'We could not link your account';
  }

  function handleStep(r, section) {
    var j = r.json;
    if (!j || j.status === 'error' || !j.status) {
      apiError(r, section);
      return;
    }
    switch (j.status) {
      case 'challenge':
        if (j.challenge && j.challenge.type === 'ussd') showUSSD(j);
        else showChallenge(j);
        return;
      case 'pending':
        showUSSD(j);
        return;
      case 'accounts':
        showAccounts(j);
        return;
      case 'failed':
        fail(j.error);
        return;
      case 'cancelled':
        fail({ message: 'This link was closed.', retryable: false });
        return;
    }
    fail({ message: 'Unexpected answer from the server.', retryable: false });
  }

  // apiError handles an error envelope: a field problem stays on the form,
  // a finished or expired session ends the flow.
  function apiError(r, section) {
    var j = r.json || {};
    var msg = j.message || 'Something went wrong (' + r.status + ').';
    if (section && (r.status === 400 || r.status === 429)) {
      setAlert(section, r.status === 429 ? 'Too many tries. Wait a moment, then try again.' : msg.replace(/^credentials\.\w+: /, ''));
      var input = section.querySelector('input');
      if (input) input.focus();
      return;
    }
    if (j.code === 'SESSION_BUSY') {
      api('GET', API + '/' + st.opened.session_id).then(function (again) { handleStep(again, section); }, function () { networkTrouble(section); });
      return;
    }
    fail({ type: j.type, code: j.code, message: msg, retryable: r.status >= 500 && r.status !== 501 });
  }

  function networkTrouble(section) {
    if (section) {
      setAlert(section, 'We could not reach the server. Check your connection and try again.');
      return;
    }
    fail({ type: 'NETWORK', code: 'NETWORK', message: 'We could not reach the server. Check your connection.', retryable: true });
  }

  // ---- closing ----

  function close() {
    if (st.closing) return;
    st.closing = true;
    stopPolling();
    var cancel = Promise.resolve();
    if (st.opened && !st.done) {
      cancel = Promise.race([
        api('POST', API + '/' + st.opened.session_id + '/cancel').catch(function () {}),
        new Promise(function (resolve) { setTimeout(resolve, 3000); })
      ]);
    }
    // hideCardOnExit: the card goes at once, not after the cancel answers.
    if (opt('hideCardOnExit') === true || opt('hideCardOnExit') === 'true') document.body.classList.add('exiting');
    post({ beforeClose: true });
    cancel.then(function () {
      post({ close: true });
      // Unheard by the host page, the widget says itself that it is done.
      if (!inFrame || !st.verifiedOrigin) {
        document.body.classList.remove('exiting');
        show('closed', 'You closed this link', el('p', { 'class': 'lead', text: 'Nothing was shared. You can close this tab now.' }));
      }
    });
  }

  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('[data-action=close]') : null;
    if (t) close();
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !st.closing) close();
  });

  // ---- the link API ----

  function api(method, path, body) {
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (st.token) headers.Authorization = 'Bearer ' + st.token;
    return fetch(path, {
      method: method, headers: headers, credentials: 'omit', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      return res.text().then(function (t) {
        var j = null;
        try { j = JSON.parse(t); } catch (e) { /* not JSON */ }
        return { status: res.status, json: j };
      });
    });
  }

  var sessionFields = ['key', 'token', 'env', 'products', 'customer', 'reauth_account', 'reauth_bank', 'filter',
    'isCorporate', 'options', 'meta', 'callback_url', 'redirect_url', 'name', 'color', 'logo', 'short_url',
    'link_token', 'parent_origin', 'exp'];

  function sessionBody(o) {
    var b = {};
    sessionFields.forEach(function (k) {
      if (o[k] !== undefined && o[k] !== null && o[k] !== '') b[k] = o[k];
    });
    if (!b.filter && o.filters) b.filter = o.filters;
    if (!b.name && o.clientName) b.name = o.clientName;
    // okra-js's README calls the public key okraKey.
    if (!b.key && typeof o.okraKey === 'string') b.key = o.okraKey.trim();
    if (b.env === 'live') b.env = 'production';
    else if (b.env && b.env !== 'production') b.env = 'production-sandbox';
    return b;
  }

  function theme(o) {
    var brand = document.getElementById('brand');
    var name = o.name || o.clientName;
    if (name) brand.textContent = name;
    if (typeof o.color === 'string' && window.CSS && CSS.supports('color', o.color)) {
      var probe = el('span', { hidden: true });
      probe.style.color = o.color;
      document.body.appendChild(probe);
      var rgb = getComputedStyle(probe).color.match(/\d+(\.\d+)?/g) || [];
      probe.remove();
      if (rgb.length >= 3) {
        var root = document.documentElement.style;
        root.setProperty('--brand', 'rgb(' + rgb[0] + ',' + rgb[1] + ',' + rgb[2] + ')');
        root.setProperty('--on-brand', inkFor(+rgb[0], +rgb[1], +rgb[2]));
      }
    }
    if (typeof o.logo === 'string' && /^(https:\/\/|\/[^/]|data:image\/(png|jpeg|gif|webp);)/.test(o.logo)) {
      var img = document.getElementById('logo');
      img.src = o.logo;
      img.hidden = false;
    }
  }

  // inkFor picks the text colour with the better contrast on a background.
  function inkFor(r, g, b) {
    function lin(c) { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); }
    var L = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    var onWhite = 1.05 / (L + 0.05);
    var onDark = (L + 0.05) / 0.0571; // against #111
    return onWhite >= onDark ? '#ffffff' : '#111111';
  }

  function open(o) {
    st.options = o;
    theme(o);
    showLoading('Getting ready…');
    var body = sessionBody(o);
    // The server checks the framing page's origin (as the browser reported
    // it with the options) against the company's allowed origins.
    if (inFrame && !st.hosted) body.parent_origin = st.parentOrigin || 'null';
    api('POST', API, body).then(function (r) {
      var j = r.json || {};
      if (r.status !== 201 && r.status !== 200 || !j.session_id) {
        fail({ type: j.type || 'INIT', code: j.code, message: j.message || 'The widget could not start.', retryable: false });
        return;
      }
      st.opened = j;
      st.token = j.session_token;
      if (inFrame && !st.hosted && st.parentOrigin) st.verifiedOrigin = st.parentOrigin;
      if (!o.name && !o.clientName && j.company) document.getElementById('brand').textContent = j.company;
      if (j.products_unavailable && j.products_unavailable.length) {
        // The link goes on with the products this server offers.
        post({ event: true, type: 'products_unavailable', event_name: 'products_unavailable',
          products_unavailable: j.products_unavailable.slice(), session_id: j.session_id });
      }
      showConsent();
    }, function () {
      fail({ type: 'NETWORK', code: 'NETWORK', message: 'We could not reach the server. Check your connection.', retryable: false });
    });
  }

  function openShortLink(code, extra) {
    showLoading('Getting ready…');
    api('GET', '/widget/v1/links/' + encodeURIComponent(code)).then(function (r) {
      var j = r.json || {};
      if (r.status !== 200 || !j.options) {
        fail({ type: j.type || 'LINK', code: j.code, message: j.message || 'This link does not work.', retryable: false });
        return;
      }
      var o = {};
      Object.keys(extra || {}).forEach(function (k) { o[k] = extra[k]; });
      Object.keys(j.options).forEach(function (k) { o[k] = j.options[k]; });
      // The server adds what the link stores about the customer.
      o.short_url = code;
      open(o);
    }, function () {
      fail({ type: 'NETWORK', code: 'NETWORK', message: 'We could not reach the server. Check your connection.', retryable: false });
    });
  }

  function start(o) {
    if (o.withShortURL && typeof o.ref === 'string' && o.ref) openShortLink(o.ref, o);
    else open(o);
  }

  // ---- boot ----

  var hosted = window.location.pathname.match(/^\/link\/([A-Za-z0-9_-]+)\/?$/);
  if (hosted && !inFrame) document.body.classList.add('hosted');
  if (hosted) {
    st.hosted = true;
    openShortLink(hosted[1], {});
  } else if (inFrame) {
    document.body.classList.add('framed');
    var waiting = setTimeout(function () {
      if (!st.options) fail({ type: 'INIT', message: 'The widget did not receive its options from the page.', retryable: false });
    }, 20000);
    window.addEventListener('message', function (e) {
      if (e.source !== window.parent || st.options) return;
      var d = e.data;
      if (!d || typeof d !== 'object' || Array.isArray(d)) return;
      clearTimeout(waiting);
      st.parentOrigin = e.origin && e.origin !== 'null' ? e.origin : '';
      start(d);
    });
    post({ ifameLoaded: true });
  } else {
    document.body.classList.add('hosted');
    fail({ type: 'INIT', message: 'This is the bankauth widget. A company opens it with its loader (/widget.js) or sends you a link.', retryable: false });
  }
})();
