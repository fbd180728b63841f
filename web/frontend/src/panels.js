// What follows a studio textarea beside it: the diagram and the form preview. Each is a <div> naming
// its textarea (data-source="<id>") and an address to POST {department, name, text} to; it asks again
// after each "studio:validated" of that textarea, and shows the newest answer (an older one arriving
// late is dropped). When an answer cannot be had, what was shown stays, with a notice saying why.

import { languageOf, word } from "./messages.js";
import { postJson, reasonOf } from "./requests.js";
import { within } from "./dom.js";

const mounted = new WeakSet();

/**
 * Follow each element of `root` matching `selector` (not followed yet). `spec`:
 *   url(div)            the address to POST to
 *   check(answer)       true for an answer of the expected shape
 *   show(div, content, answer, lang) -> Promise<boolean>: put the answer into `content`; false when it
 *                       held nothing to show (what was shown stays, marked stale)
 *   start(div, lang)    called once when the element is first followed (optional)
 *   failed              the word key of the notice when an answer cannot be had
 *   stale               the word key of the notice when an answer holds nothing to show (optional)
 *   askAtStart          ask once at once, without waiting for the first validation
 */
export function followAll(root, selector, spec) {
  for (const div of within(root, selector)) {
    if (!mounted.has(div)) {
      mounted.add(div);
      follow(div, spec);
    }
  }
}

function follow(div, spec) {
  const document = div.ownerDocument;
  const source = document.getElementById(div.dataset.source || "");
  if (!(source instanceof HTMLTextAreaElement)) {
    console.warn(`studio: ${div.className} names no textarea (data-source="${div.dataset.source || ""}")`);
    return;
  }
  const lang = languageOf(source.dataset.lang);
  const notice = document.createElement("p");
  notice.className = "studio-notice";
  notice.setAttribute("role", "status");
  notice.hidden = true;
  const content = document.createElement("div");
  content.className = "studio-content";
  div.replaceChildren(notice, content);
  spec.start?.(div, lang);

  let asked = 0; // the number of the last request sent
  let shown = 0; // the number of the request whose outcome is shown
  let pending = null; // the text of the requests in flight, newest
  let answered = null; // the text whose answer is shown

  const say = (key, values) => {
    notice.textContent = word(lang, key, values);
    notice.hidden = false;
  };

  const ask = async (text) => {
    if (text === pending || text === answered) return;
    const mine = ++asked;
    pending = text;
    div.setAttribute("aria-busy", "true");
    const body = { department: source.dataset.department || "", name: source.dataset.name || "", text };
    try {
      const answer = await postJson(document, spec.url(div), body, lang, spec.check);
      if (mine < shown) return;
      const drawn = await spec.show(div, content, answer, lang, () => mine >= shown);
      if (mine < shown) return;
      shown = mine;
      answered = text;
      if (drawn) {
        notice.hidden = true;
        div.dataset.state = "current";
      } else {
        say(spec.stale);
        div.dataset.state = "stale";
      }
    } catch (error) {
      if (mine < shown) return;
      shown = mine;
      say(spec.failed, { reason: reasonOf(error) });
      div.dataset.state = "failed";
    } finally {
      if (mine === asked) {
        pending = null;
        div.removeAttribute("aria-busy");
      }
    }
  };

  source.addEventListener("studio:validated", (event) => ask(event.detail.text));
  if (spec.askAtStart) ask(source.value);
}
