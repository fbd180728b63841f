// Asking the studio's server: JSON in, JSON out, with the page's CSRF token.

import { word } from "./messages.js";

/** Why a request gave no usable answer: `reason` is worded for the user, in the page's language. */
export class RequestFailed extends Error {
  constructor(reason, status = 0) {
    super(reason);
    this.name = "RequestFailed";
    this.status = status;
  }
}

/** What to tell the user about `error`: a RequestFailed's worded reason, else the error's message. */
export function reasonOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** The CSRF token of the page: <meta name="csrf-token" content="…">, or "" when the page has none. */
export function csrfToken(document) {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") || "" : "";
}

/**
 * POST `body` as JSON to `url` and return the JSON answer, which `check` must accept (it returns true
 * for an answer of the expected shape). Any other outcome throws a RequestFailed saying why in `lang`.
 */
export async function postJson(document, url, body, lang, check) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(document),
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new RequestFailed(word(lang, "unreachable"));
  }
  if (!response.ok) {
    throw new RequestFailed(statusReason(response.status, lang), response.status);
  }
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new RequestFailed(word(lang, "unreadable"), response.status);
  }
  if (!check(answer)) {
    throw new RequestFailed(word(lang, "unreadable"), response.status);
  }
  return answer;
}

/** GET `url` as JSON (a JSON Schema); a RequestFailed when there is no object to use. */
export async function getJson(url, lang) {
  let response;
  try {
    response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    throw new RequestFailed(word(lang, "unreachable"));
  }
  if (!response.ok) {
    throw new RequestFailed(statusReason(response.status, lang), response.status);
  }
  try {
    const answer = await response.json();
    if (answer !== null && typeof answer === "object" && !Array.isArray(answer)) {
      return answer;
    }
  } catch {
    // fall through: not JSON
  }
  throw new RequestFailed(word(lang, "unreadable"), response.status);
}

function statusReason(status, lang) {
  if (status === 401) return word(lang, "loggedOut");
  if (status === 400) return word(lang, "refused"); // among others, the app's answer to a stale CSRF token
  if (status === 413) return word(lang, "tooLarge");
  return word(lang, "serverStatus", { status });
}
