/* companion chat widget: paste
 *   <script src="https://CHAT-HOST/widget.js" data-title="Ask the blog" async></script>
 * into a blog template. Options (all optional): data-title, data-accent (a CSS colour),
 * data-position ("right" or "left"), data-greeting, data-open ("true" opens it at once).
 * The chat runs in an iframe served by the chat host; the page's URL (its canonical link when
 * it has one, as Blogger pages do) is passed so "what did you think of this film?" means the
 * post being read.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.__companionWidget) return;
  window.__companionWidget = true;
  var host = new URL(me.src, window.location.href).origin;
  var opt = function (name, fallback) {
    var v = me.getAttribute("data-" + name);
    return v === null || v === "" ? fallback : v;
  };
  var title = opt("title", "Ask the blog");
  var accent = opt("accent", "#3b5bdb");
  if (!/^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+|rgb\([\d\s,.%]+\)|hsl\([\d\s,.%]+\))$/.test(accent)) accent = "#3b5bdb";
  var left = opt("position", "right") === "left";
  var side = left ? "left" : "right";

  var button = document.createElement("button");
  button.type = "button";
  button.id = "companion-launcher";
  button.setAttribute("aria-label", title);
  button.setAttribute("aria-expanded", "false");
  button.textContent = title;
  button.style.cssText = "position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;" +
    "border:0;border-radius:24px;padding:12px 18px;font:600 15px/1 system-ui,sans-serif;" +
    "color:#fff;background:" + accent + ";box-shadow:0 4px 16px rgba(0,0,0,.25);cursor:pointer";

  var panel = document.createElement("div");
  panel.id = "companion-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);
  panel.style.cssText = "position:fixed;bottom:80px;" + side + ":20px;z-index:2147483000;" +
    "width:min(400px,calc(100vw - 40px));height:min(600px,calc(100vh - 120px));display:none;" +
    "border-radius:12px;overflow:hidden;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.3);" +
    "border-top:4px solid " + accent;

  var frame = null;
  function open() {
    if (!frame) {
      var canonical = document.querySelector('link[rel="canonical"]');
      var q = new URLSearchParams({
        page_url: (canonical && canonical.href) || window.location.href.split("#")[0],
        page_title: document.title || "",
        greeting: opt("greeting", "")
      });
      frame = document.createElement("iframe");
      frame.title = title;
      frame.src = host + "/embed/?" + q.toString();
      frame.style.cssText = "width:100%;height:100%;border:0";
      frame.setAttribute("allow", "clipboard-write");
      panel.appendChild(frame);
    }
    panel.style.display = "block";
    button.setAttribute("aria-expanded", "true");
  }
  function close() {
    panel.style.display = "none";
    button.setAttribute("aria-expanded", "false");
  }
  button.addEventListener("click", function () {
    panel.style.display === "none" ? open() : close();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") close();
  });
  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(button);
    if (opt("open", "false") === "true") open();
  }
  document.body ? mount() : document.addEventListener("DOMContentLoaded", mount);
})();
