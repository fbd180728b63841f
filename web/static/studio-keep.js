// Nothing typed in the studio's editor is lost when the session ended in another tab (logged out, or
// expired): before the editor's form is sent, the session is asked for (the textarea's
// data-session-url answers {"csrf_token": …} while it holds, a redirect to the login once it ended).
// - Held: its token goes into the form (a login in another tab renewed it) and the form is sent.
// - Ended: nothing is sent; the text stays in the editor and is kept in the browser's storage under
//   "orderloom.studio.kept:<department>:<file>:<revision>", the page says to log in again (its link opens
//   the login in a new tab), and the form is sent by itself as soon as the session holds again.
// - No answer either way (the server unreachable): the form is sent as before, and the server says why.
// A page opened where the storage keeps a text of the same department, file and revision that the editor
// does not hold offers to put it back in the editor (then the storage forgets it) or to discard it; a
// kept text the page holds (saved since) is forgotten. The words are the page's own.
// Without scripts the server keeps the text instead (web/studio_keep.py).
(function () {
  "use strict";

  const PREFIX = "orderloom.studio.kept:";
  const POLL_MS = 2000;
  const textarea = document.querySelector("textarea.studio-text[data-session-url]");
  if (!textarea || !textarea.form) {
    return;
  }
  const form = textarea.form;
  const ended = document.getElementById("studio-session-ended");
  const offer = document.getElementById("studio-kept-offer");
  const fileKey = PREFIX + (textarea.dataset.department || "") + ":" + (textarea.dataset.name || "") + ":";
  let passing = false; // the form is being sent for real: the submit listener lets it through
  let waiting = null; // {submitter, timer} while the session has ended and the form waits to be sent

  function revision() {
    const field = form.querySelector("input[name=revision]");
    return field ? field.value : "0";
  }

  function note() {
    const field = form.querySelector("input[name=note]");
    return field ? field.value : null;
  }

  function storage() {
    try {
      return window.localStorage;
    } catch {
      return null; // storage refused by the browser: the text stays in the page only
    }
  }

  function keep() {
    const store = storage();
    if (!store) {
      return;
    }
    try {
      store.setItem(fileKey + revision(), JSON.stringify({ text: textarea.value, note: note(), at: Date.now() }));
    } catch {
      // storage full: the text stays in the page
    }
  }

  function kept(key) {
    const store = storage();
    try {
      const found = store ? JSON.parse(store.getItem(key) || "null") : null;
      return found && typeof found.text === "string" ? found : null;
    } catch {
      return null;
    }
  }

  function forget(key) {
    const store = storage();
    if (store) {
      store.removeItem(key);
    }
  }

  /** The session's CSRF token while it holds; null when it ended; undefined when nobody can tell. */
  async function session() {
    let response;
    try {
      response = await fetch(textarea.dataset.sessionUrl, {
        credentials: "same-origin",
        redirect: "manual",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch {
      return undefined;
    }
    if (response.type === "opaqueredirect" || response.status === 401) {
      return null;
    }
    if (!response.ok) {
      return undefined;
    }
    try {
      const answer = await response.json();
      return answer && typeof answer.csrf_token === "string" ? answer.csrf_token : undefined;
    } catch {
      return undefined;
    }
  }

  function useToken(token) {
    form.querySelectorAll("input[name=csrf_token]").forEach(function (field) {
      field.value = token;
    });
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      meta.setAttribute("content", token);
    }
  }

  function send(submitter) {
    passing = true;
    try {
      if (submitter && submitter.form === form) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    } finally {
      passing = false;
    }
  }

  async function tryAgain() {
    if (!waiting) {
      return;
    }
    const token = await session();
    if (!waiting || token === null) {
      return;
    }
    const submitter = waiting.submitter;
    window.clearInterval(waiting.timer);
    waiting = null;
    if (ended) {
      ended.hidden = true;
    }
    if (token) {
      useToken(token);
    }
    send(submitter);
  }

  function wait(submitter) {
    keep();
    if (ended) {
      ended.hidden = false;
      ended.scrollIntoView({ block: "nearest" });
    }
    if (!waiting) {
      waiting = { submitter: submitter, timer: window.setInterval(tryAgain, POLL_MS) };
    } else {
      waiting.submitter = submitter;
    }
  }

  form.addEventListener("submit", function (event) {
    if (passing || event.defaultPrevented) {
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    session().then(function (token) {
      if (token === null) {
        wait(submitter);
        return;
      }
      if (token) {
        useToken(token);
      }
      send(submitter);
    });
  });

  // While the form waits for a login, what is typed meanwhile is kept too.
  form.addEventListener("input", function () {
    if (waiting) {
      keep();
    }
  });
  window.addEventListener("focus", tryAgain);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      tryAgain();
    }
  });

  // A text kept for this page: offered back when the editor holds another, forgotten when it holds it.
  const here = fileKey + revision();
  const found = kept(here);
  const store = storage();
  if (store) {
    for (let i = store.length - 1; i >= 0; i--) {
      const key = store.key(i);
      const other = key && key !== here && key.startsWith(fileKey) ? kept(key) : null;
      if (other && other.text === textarea.value) {
        forget(key); // saved since: the page holds it
      }
    }
  }
  if (found && found.text === textarea.value) {
    forget(here);
  } else if (found && offer) {
    offer.hidden = false;
    offer.querySelector("#studio-kept-restore").addEventListener("click", function () {
      textarea.value = found.text;
      textarea.dispatchEvent(new CustomEvent("studio:set-text", { detail: { text: found.text } }));
      const field = form.querySelector("input[name=note]");
      if (field && typeof found.note === "string") {
        field.value = found.note;
      }
      forget(here); // in the editor now, guarded against leaving like any text not saved
      offer.hidden = true;
    });
    offer.querySelector("#studio-kept-discard").addEventListener("click", function () {
      forget(here);
      offer.hidden = true;
    });
  }
})();
