// The studio's own words (what the server does not send), in Chinese and English. The page chooses the
// language with data-lang="zh" | "en" on each textarea; anything else reads as English.

const WORDS = {
  zh: {
    fixLabel: "改为 {s}",
    codeLabel: "代码",
    lintFailed: "文本未校验：{reason}",
    diagramFailed: "状态图未更新：{reason}",
    diagramStale: "文本暂时无法解析，显示的是上一次的状态图。",
    previewFailed: "预览未更新：{reason}",
    previewStale: "暂时无法预览，显示的是上一次的预览。",
    schemaFailed: "补全与提示不可用：无法加载 JSON Schema {url}：{reason}",
    unreachable: "无法连接服务器，请检查网络后继续编辑。",
    loggedOut: "登录已失效，请重新登录（先复制您的修改）。",
    refused: "服务器拒绝了请求（HTTP 400），页面可能已过期，请刷新页面（先复制您的修改）。",
    tooLarge: "文本太大，服务器不接受。",
    serverStatus: "服务器出错（HTTP {status}）。",
    unreadable: "服务器的回答无法读取。",
    scriptMissing: "无法加载 {src}。",
  },
  en: {
    fixLabel: "Use {s}",
    codeLabel: "code",
    lintFailed: "The text was not checked: {reason}",
    diagramFailed: "The diagram was not updated: {reason}",
    diagramStale: "The text does not parse for now: this is the last diagram drawn.",
    previewFailed: "The preview was not updated: {reason}",
    previewStale: "No preview for now: this is the last one shown.",
    schemaFailed: "No completion or hints: the JSON Schema {url} could not be loaded: {reason}",
    unreachable: "the server could not be reached; check the network and keep editing.",
    loggedOut: "you are logged out; log in again (copy your changes first).",
    refused: "the server refused the request (HTTP 400); the page may have expired: reload it (copy your changes first).",
    tooLarge: "the text is too large for the server.",
    serverStatus: "the server failed (HTTP {status}).",
    unreadable: "the server's answer could not be read.",
    scriptMissing: "{src} could not be loaded.",
  },
};

// CodeMirror's own interface words (search panel, lint panel, folding), in Chinese.
const CODEMIRROR_ZH = {
  Find: "查找",
  Replace: "替换",
  next: "下一个",
  previous: "上一个",
  all: "全部",
  "match case": "区分大小写",
  regexp: "正则表达式",
  "by word": "全词匹配",
  replace: "替换",
  "replace all": "全部替换",
  close: "关闭",
  "current match": "当前匹配",
  "on line": "位于第几行",
  "replaced $ matches": "已替换 $ 处",
  "replaced match on line $": "已替换第 $ 行的匹配",
  "Go to line": "跳转到行",
  go: "跳转",
  Diagnostics: "问题",
  "No diagnostics": "没有问题",
  Completions: "补全",
  "Control character": "控制字符",
  "Selection deleted": "已删除所选内容",
  "Folded lines": "已折叠的行",
  "Unfolded lines": "已展开的行",
  "Fold line": "折叠",
  "Unfold line": "展开",
  "folded code": "已折叠的代码",
  unfold: "展开",
  to: "至",
};

/** "zh" or "en": the language a data-lang value asks for. */
export function languageOf(value) {
  return value === "zh" ? "zh" : "en";
}

/** The studio's word `key` in `lang`, with each {name} replaced by values[name]. */
export function word(lang, key, values = {}) {
  const text = WORDS[languageOf(lang)][key];
  return fill(text, values);
}

/** `template` with each {name} replaced by values[name] (taken literally: no pattern characters). */
export function fill(template, values) {
  let text = template;
  for (const [name, value] of Object.entries(values)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

/** CodeMirror's phrases in `lang` (none for English, its own language). */
export function codemirrorPhrases(lang) {
  return languageOf(lang) === "zh" ? CODEMIRROR_ZH : {};
}
