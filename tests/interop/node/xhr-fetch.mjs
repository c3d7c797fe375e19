// A minimal XMLHttpRequest on top of Node's fetch, for the browser code paths of third-party upload
// libraries run headless. @uppy/aws-s3 sends every part (and every single-PUT upload) with XHR
// (`AwsS3Multipart.uploadPartBytes`) and reads the ETag from `getAllResponseHeaders()`; Node has no
// XMLHttpRequest, so without this the plugin fails with `ReferenceError: XMLHttpRequest is not defined`.
//
// Only what such code uses is here: open, setRequestHeader, send (Blob, ArrayBuffer(View), string,
// FormData, null), abort, timeout, responseType "" / "text", status, statusText, responseText, response,
// getResponseHeader, getAllResponseHeaders (lowercase names, "name: value" lines joined by CRLF, as
// browsers give them), readyState, and the load / error / abort / timeout / loadend events, both as
// listeners and as on<event> properties, on the request and on `upload` (one progress event with the
// full size once the body is sent). Cross-origin filtering is not emulated: Node has no origin, so every
// response header is visible, exposed or not.

const EVENTS = ["loadstart", "progress", "load", "error", "abort", "timeout", "loadend", "readystatechange"];

class Target {
  #listeners = new Map();

  addEventListener(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
  }

  removeEventListener(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  dispatch(type, fields = {}) {
    const event = { type, target: this, currentTarget: this, lengthComputable: false, loaded: 0, total: 0, ...fields };
    const handler = this[`on${type}`];
    if (typeof handler === "function") handler.call(this, event);
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      if (typeof listener === "function") listener.call(this, event);
      else listener?.handleEvent?.(event);
    }
  }
}

for (const type of EVENTS) Target.prototype[`on${type}`] = null;

function sizeOf(body) {
  if (body == null) return 0;
  if (typeof body === "string") return Buffer.byteLength(body);
  if (typeof body.size === "number") return body.size;
  if (typeof body.byteLength === "number") return body.byteLength;
  return 0;
}

/**
 * Makes `globalThis.XMLHttpRequest` the fetch-backed one. `onResponse({method, url, requestHeaders,
 * status, headers, body})` is told of every completed request (headers as a `Headers`). Returns
 * `restore()`, which puts back whatever was there before.
 */
export function installXMLHttpRequest({ onResponse } = {}) {
  const previous = Object.getOwnPropertyDescriptor(globalThis, "XMLHttpRequest");

  class XMLHttpRequest extends Target {
    static UNSENT = 0;
    static OPENED = 1;
    static HEADERS_RECEIVED = 2;
    static LOADING = 3;
    static DONE = 4;

    readyState = 0;
    status = 0;
    statusText = "";
    responseText = "";
    responseType = "";
    responseURL = "";
    timeout = 0;
    withCredentials = false;
    upload = new Target();
    #method = "GET";
    #url = "";
    #headers = new Headers();
    #responseHeaders = new Headers();
    #controller = null;
    #timer = null;
    #settled = false;

    get response() {
      if (this.responseType === "json") {
        try {
          return JSON.parse(this.responseText);
        } catch {
          return null;
        }
      }
      return this.responseText;
    }

    open(method, url, async = true) {
      if (async === false) throw new Error("xhr-fetch: synchronous XMLHttpRequest is not supported");
      this.#method = String(method).toUpperCase();
      this.#url = String(url);
      this.#headers = new Headers();
      this.#responseHeaders = new Headers();
      this.status = 0;
      this.statusText = "";
      this.responseText = "";
      this.#settled = false;
      this.#setState(1);
    }

    setRequestHeader(name, value) {
      if (this.readyState !== 1) throw new Error("xhr-fetch: setRequestHeader before open()");
      this.#headers.append(name, String(value));
    }

    getResponseHeader(name) {
      return this.readyState >= 2 ? this.#responseHeaders.get(name) : null;
    }

    getAllResponseHeaders() {
      if (this.readyState < 2) return "";
      const lines = [];
      // Headers iterates lowercase names in sorted order, joining repeated values with ", ".
      for (const [name, value] of this.#responseHeaders) lines.push(`${name}: ${value}`);
      return lines.length ? `${lines.join("\r\n")}\r\n` : "";
    }

    abort() {
      if (this.#settled || !this.#controller) return;
      this.#controller.abort();
      this.#finish("abort");
    }

    send(body = null) {
      if (this.readyState !== 1) throw new Error("xhr-fetch: send before open()");
      const controller = new AbortController();
      this.#controller = controller;
      const total = sizeOf(body);
      const method = this.#method;
      const url = this.#url;
      const requestHeaders = Object.fromEntries(this.#headers);
      if (this.timeout > 0) {
        this.#timer = setTimeout(() => {
          if (this.#settled) return;
          controller.abort();
          this.#finish("timeout");
        }, this.timeout);
      }
      this.dispatch("loadstart", { loaded: 0, total });
      if (body != null) this.upload.dispatch("loadstart", { loaded: 0, total, lengthComputable: true });
      const init = { method, headers: this.#headers, signal: controller.signal, redirect: "follow" };
      if (body != null && method !== "GET" && method !== "HEAD") {
        init.body = body;
        // A ReadableStream body needs half-duplex in undici; Blobs and buffers do not, but it is harmless.
        init.duplex = "half";
      }
      (async () => {
        const res = await fetch(url, init);
        if (this.#settled) return;
        if (body != null) {
          this.upload.dispatch("progress", { loaded: total, total, lengthComputable: true });
          this.upload.dispatch("load", { loaded: total, total, lengthComputable: true });
          this.upload.dispatch("loadend", { loaded: total, total, lengthComputable: true });
        }
        this.status = res.status;
        this.statusText = res.statusText;
        this.responseURL = res.url;
        this.#responseHeaders = res.headers;
        this.#setState(2);
        this.#setState(3);
        const text = await res.text();
        if (this.#settled) return;
        this.responseText = text;
        onResponse?.({ method, url, requestHeaders, status: res.status, headers: res.headers, body: text });
        this.#finish("load", { loaded: Buffer.byteLength(text), total: Buffer.byteLength(text) });
      })().catch((error) => {
        if (this.#settled) return;
        this.error = error;
        this.#finish("error");
      });
    }

    #setState(state) {
      this.readyState = state;
      this.dispatch("readystatechange");
    }

    #finish(type, fields = {}) {
      if (this.#settled) return;
      this.#settled = true;
      clearTimeout(this.#timer);
      if (type !== "load") {
        this.status = 0;
        this.statusText = "";
        this.responseText = "";
        this.#responseHeaders = new Headers();
      }
      this.#setState(4);
      this.dispatch(type, fields);
      this.dispatch("loadend", fields);
    }
  }

  Object.defineProperty(globalThis, "XMLHttpRequest", { value: XMLHttpRequest, configurable: true, writable: true });
  return {
    XMLHttpRequest,
    restore() {
      if (previous) Object.defineProperty(globalThis, "XMLHttpRequest", previous);
      else delete globalThis.XMLHttpRequest;
    },
  };
}
