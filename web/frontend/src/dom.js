/** The elements of `root` (an element or the document) matching `selector`, `root` itself included. */
export function within(root, selector) {
  const found = root.querySelectorAll ? [...root.querySelectorAll(selector)] : [];
  if (root.matches && root.matches(selector)) found.unshift(root);
  return found;
}
