// Starts ReDoc on /redoc. ReDoc injects its styles as <style> elements at run time, which the
// page's Content-Security-Policy lets through only with the answer's nonce. A browser hides a
// nonce attribute from scripts (so ReDoc's own <redoc spec-url> start cannot pass it on), but
// a script may read its own: it is handed to ReDoc here.
(function () {
  "use strict";
  var script = document.currentScript;
  Redoc.init(script.dataset.specUrl, { nonce: script.nonce }, document.getElementById("redoc"));
})();
