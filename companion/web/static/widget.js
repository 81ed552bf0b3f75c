/* companion chat widget: paste
 *   <script src="https://CHAT-HOST/widget.js" data-title="Ask the blog" async></script>
 * into a blog template. Options (all optional): data-title, data-accent (a CSS colour),
 * data-position ("right" or "left"), data-greeting, data-open ("true" opens it at once), and
 * the widget's words for blogs not written in English: data-button (launcher text),
 * data-placeholder (question box), data-close, data-new (new conversation), data-spoilers.
 * The chat runs in an iframe served by the chat host; the page's URL (its canonical link when
 * it has one, as Blogger pages do) is passed so "what did you think of this film?" means the
 * post being read. The panel fills the screen on phones; the widget and the chat talk through
 * postMessage, each accepting messages only from the other's origin. Every string is set as
 * text, never parsed as HTML, and lives in a shadow root so the blog's CSS leaves it alone.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || window.__companionWidget) return;
  window.__companionWidget = true;
  var host = new URL(me.src, window.location.href).origin;
  var opt = function (name, fallback, max) {
    var v = (me.getAttribute("data-" + name) || "").replace(/\s+/g, " ").trim();
    return v === "" ? fallback : v.slice(0, max || 60);
  };
  var title = opt("title", "Ask the blog");
  var words = {
    button: opt("button", title),
    close: opt("close", "Close"),
    fresh: opt("new", "New conversation"),
    spoilers: opt("spoilers", "Show spoilers"),
    greeting: opt("greeting", "", 200),
    placeholder: opt("placeholder", "", 120)
  };
  var accent = opt("accent", "#3b5bdb");
  if (!/^(#[0-9a-fA-F]{3,8}|[a-zA-Z]+|rgb\([\d\s,.%]+\)|hsl\([\d\s,.%]+\))$/.test(accent)) accent = "#3b5bdb";
  var side = opt("position", "right") === "left" ? "left" : "right";
  // Narrow or short screens get the whole screen: a floating box there cuts the chat off.
  var narrow = window.matchMedia("(max-width: 600px), (max-height: 500px)");

  var CSS =
    ":host{all:initial;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}" +
    "*{box-sizing:border-box}" +
    "button{font:inherit;color:inherit;background:none;border:0;margin:0;cursor:pointer}" +
    "button:focus-visible,[tabindex]:focus-visible{outline:3px solid " + accent + ";outline-offset:2px}" +
    "#companion-launcher{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;" +
    "max-width:calc(100vw - 40px);overflow:hidden;text-overflow:ellipsis;white-space:nowrap;" +
    "border-radius:24px;padding:12px 18px;font-weight:600;font-size:15px;line-height:1;color:#fff;" +
    "background:" + accent + ";box-shadow:0 4px 16px rgba(0,0,0,.25)}" +
    "#companion-panel{position:fixed;bottom:80px;" + side + ":20px;z-index:2147483001;" +
    "width:min(400px,calc(100vw - 40px));height:min(640px,calc(100vh - 110px));display:flex;" +
    "flex-direction:column;border-radius:12px;overflow:hidden;background:#fff;color:#1f2328;" +
    "box-shadow:0 8px 32px rgba(0,0,0,.3)}" +
    "#companion-panel[hidden]{display:none}" +
    ".bar{display:flex;align-items:center;gap:4px;min-height:48px;padding:0 4px 0 16px;" +
    "background:" + accent + ";color:#fff}" +
    ".title{flex:1;min-width:0;margin:0;font-size:16px;font-weight:600;line-height:1.2;" +
    "overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".title:focus{outline:none}" +
    ".icon{flex:none;display:grid;place-items:center;width:40px;height:40px;border-radius:8px}" +
    ".icon:hover{background:rgba(255,255,255,.18)}" +
    ".tools{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;" +
    "gap:0 8px;min-height:40px;padding:2px 8px 2px 12px;border-bottom:1px solid #e5e7eb;" +
    "background:#f8f9fa;font-size:14px;line-height:1.25}" +
    // Long labels (other languages) wrap onto a second line rather than being cut off.
    ".tools button{display:flex;align-items:center;gap:8px;min-width:0;max-width:100%;" +
    "min-height:36px;padding:2px 6px;border-radius:6px;text-align:left;overflow-wrap:anywhere}" +
    ".tools button:hover{background:#eceef1}" +
    ".track{flex:none;position:relative;width:32px;height:18px;border-radius:9px;background:#adb5bd;" +
    "transition:background .15s}" +
    ".track::after{content:'';position:absolute;top:2px;left:2px;width:14px;height:14px;" +
    "border-radius:50%;background:#fff;transition:transform .15s}" +
    "[aria-checked=true] .track{background:" + accent + "}" +
    "[aria-checked=true] .track::after{transform:translateX(14px)}" +
    "iframe{flex:1;display:block;width:100%;min-height:0;border:0;background:#fff}" +
    ".edge{position:absolute;width:1px;height:1px;overflow:hidden}" +
    "@media (max-width:600px),(max-height:500px){" +
    "#companion-panel{top:0;bottom:0;left:0;right:0;width:100%;height:100%;border-radius:0;" +
    "box-shadow:none}" +
    "#companion-launcher[aria-expanded=true]{display:none}}";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }
  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "20");
    svg.setAttribute("height", "20");
    svg.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    p.setAttribute("fill", "none");
    p.setAttribute("stroke", "currentColor");
    p.setAttribute("stroke-width", "2");
    p.setAttribute("stroke-linecap", "round");
    svg.appendChild(p);
    return svg;
  }

  var shell = el("div", { id: "companion-widget" });
  var root = shell.attachShadow({ mode: "open" });
  root.appendChild(el("style", {}, CSS));
  var button = el("button", {
    type: "button", id: "companion-launcher", "aria-expanded": "false",
    "aria-controls": "companion-panel"
  }, words.button);
  var panel = el("div", {
    id: "companion-panel", role: "dialog", "aria-labelledby": "companion-title", hidden: ""
  });
  var heading = el("h2", { id: "companion-title", "class": "title", tabindex: "-1" }, title);
  var closer = el("button", {
    type: "button", id: "companion-close", "class": "icon", "aria-label": words.close,
    title: words.close
  });
  closer.appendChild(icon("M6 6l12 12M18 6L6 18"));
  var bar = el("div", { "class": "bar" });
  bar.appendChild(heading);
  bar.appendChild(closer);
  var spoilers = el("button", {
    type: "button", id: "companion-spoilers-switch", role: "switch", "aria-checked": "false"
  });
  spoilers.appendChild(el("span", { "class": "track", "aria-hidden": "true" }));
  spoilers.appendChild(el("span", {}, words.spoilers));
  var fresh = el("button", { type: "button", id: "companion-new" });
  fresh.appendChild(icon("M12 5v14M5 12h14"));
  fresh.appendChild(el("span", {}, words.fresh));
  var tools = el("div", { "class": "tools" });
  tools.appendChild(spoilers);
  tools.appendChild(fresh);
  // On a phone the panel is modal: Tab past either end comes back round instead of leaving.
  var before = el("span", { "class": "edge" });
  var after = el("span", { "class": "edge" });
  panel.appendChild(before);
  panel.appendChild(bar);
  panel.appendChild(tools);
  panel.appendChild(after);
  root.appendChild(panel);
  root.appendChild(button);

  var frame = null;
  var ready = false;
  var wantFocus = false;
  var scrollWas = null;

  function send(type, value) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ companion: type, value: value }, host);
  }
  function src() {
    var canonical = document.querySelector('link[rel="canonical"]');
    var q = new URLSearchParams({
      page_url: (canonical && canonical.href) || window.location.href.split("#")[0],
      page_title: (document.title || "").slice(0, 200),
      greeting: words.greeting,
      placeholder: words.placeholder,
      parent_origin: window.location.origin
    });
    return host + "/embed/?" + q.toString();
  }
  function makeFrame() {
    if (frame) frame.remove();
    ready = false;
    frame = el("iframe", { title: title, src: src(), allow: "clipboard-write" });
    panel.insertBefore(frame, after);
  }
  function isOpen() {
    return !panel.hidden;
  }
  function modal() {
    var on = isOpen() && narrow.matches;
    panel.setAttribute("aria-modal", on ? "true" : "false");
    before.setAttribute("tabindex", on ? "0" : "-1");
    after.setAttribute("tabindex", on ? "0" : "-1");
    var page = document.documentElement.style;
    if (on && scrollWas === null) {
      scrollWas = page.overflow;
      page.overflow = "hidden";
    } else if (!on && scrollWas !== null) {
      page.overflow = scrollWas;
      scrollWas = null;
    }
  }
  // Focus goes into the panel: the question box on a desktop, the title on a phone (focusing
  // the box there would pop the keyboard over half the chat before the fan has read it).
  function focusInside() {
    if (narrow.matches) {
      heading.focus();
      return;
    }
    frame.focus();
    if (ready) send("focus");
    else wantFocus = true;
  }
  function open(byFan) {
    if (!frame) makeFrame();
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    modal();
    if (byFan) focusInside();  // data-open: the page keeps its focus until the fan acts
  }
  function close() {
    if (!isOpen()) return;
    panel.hidden = true;
    wantFocus = false;
    button.setAttribute("aria-expanded", "false");
    modal();
    button.focus();
  }

  button.addEventListener("click", function () {
    isOpen() ? close() : open(true);
  });
  closer.addEventListener("click", close);
  spoilers.addEventListener("click", function () {
    var on = spoilers.getAttribute("aria-checked") !== "true";
    spoilers.setAttribute("aria-checked", on ? "true" : "false");
    send("spoilers", on);
  });
  fresh.addEventListener("click", function () {
    makeFrame();  // a new session: no answers, no conversation state, the greeting again
    if (!narrow.matches) focusInside();
  });
  before.addEventListener("focus", function () {
    frame.focus();
  });
  after.addEventListener("focus", function () {
    closer.focus();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && isOpen()) close();
  });
  window.addEventListener("message", function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== host) return;
    var d = e.data;
    if (!d || typeof d !== "object") return;
    if (d.companion === "escape") {
      close();
    } else if (d.companion === "ready") {
      ready = true;
      send("spoilers", spoilers.getAttribute("aria-checked") === "true");
      if (wantFocus && isOpen()) send("focus");
      wantFocus = false;
    }
  });
  if (narrow.addEventListener) narrow.addEventListener("change", modal);

  function mount() {
    document.body.appendChild(shell);
    if (opt("open", "false") === "true") open(false);
  }
  document.body ? mount() : document.addEventListener("DOMContentLoaded", mount);
})();
