// A classic script, run before the console's modules: if they could not be fetched (a browser drops
// its connections when the machine's network changes: Wi-Fi, a VPN, Docker starting), the page is
// loaded once more instead of staying on "Loading the Flyte console…". Once: app.js clears the mark
// when it starts, so a console that cannot load at all stays put and the browser's console says why.
(function () {
  var RELOADED = 'flyte.console.reloadedAfterAFailedLoad';
  window.addEventListener(
    'error',
    function (event) {
      var script = event.target;
      if (!(script instanceof HTMLScriptElement) || script.type !== 'module' || sessionStorage.getItem(RELOADED)) return;
      sessionStorage.setItem(RELOADED, '1');
      location.reload();
    },
    true, // a failed load does not bubble; the window sees it while capturing
  );
})();
